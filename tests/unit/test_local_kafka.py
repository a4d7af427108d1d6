"""The local Apache Kafka runner: what it hands the storage tool must parse."""


def test_a_local_kafka_cluster_id_never_looks_like_an_option():
    from deploy.kafka_broker import cluster_id_for_kafka

    ids = [cluster_id_for_kafka() for _ in range(2000)]  # about 31 would start with '-' if unguarded
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
