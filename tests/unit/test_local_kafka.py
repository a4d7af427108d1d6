"""The local Apache Kafka runner: what it hands the storage tool must parse."""


def test_a_local_kafka_cluster_id_never_looks_like_an_option():
    from deploy.kafka_broker import cluster_id_for_kafka

    ids = [cluster_id_for_kafka() for _ in range(2000)]  # about 31 would start with '-' if unguarded
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


def test_a_posting_time_has_one_text_form():
    import datetime as dt

    from contracts.ledger_format import timestamp

    moment = dt.datetime(2023, 8, 21, 10, 0, 5, 123, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert timestamp(moment) == "2023-08-21T02:00:05.000123Z"
