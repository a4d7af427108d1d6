"""A stand-in for the bank: answers each payment request with settled, or failed for cards it
was told are closed. Result ids derive from the transfer, so a redelivered request is harmless."""

from __future__ import annotations

import uuid

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts.access import BANK
from contracts.envelope import Envelope, kafka_headers
from contracts.ledger import PaymentFailed, PaymentRequested, PaymentSettled
from contracts.registry import decode
from contracts.topics import PAYMENTS
from services.shared.authority import Authority
from services.shared.errors import Refused
from services.shared.kafka import faststream_security, make_producer
from services.shared.settings import Settings

BANK_NAMESPACE = uuid.UUID("0b7d5a52-9a43-4d1c-8d1e-3f0c2b6f7a10")
log = structlog.get_logger(__name__)


def answer(request: PaymentRequested, failing_cards: set[str]) -> PaymentSettled | PaymentFailed:
    if request.bank_card in failing_cards:
        return PaymentFailed(application_id=request.application_id, transfer_id=request.transfer_id,
                             reason="account_closed")
    return PaymentSettled(application_id=request.application_id, transfer_id=request.transfer_id,
                          bank_reference=f"BK{request.transfer_id[:12].upper()}")


class BankSimulator:
    def __init__(self, settings: Settings, authority: Authority, failing_cards: set[str]) -> None:
        self.failing_cards = failing_cards
        self.producer = make_producer(settings, BANK)
        self.broker = KafkaBroker(settings.kafka_bootstrap_servers, logger=log,
                                  security=faststream_security(settings, BANK))

        topic = PAYMENTS.physical(settings.namespace)

        @self.broker.subscriber(topic, group_id=settings.namespace + "bank-simulator", batch=True, max_records=1000,
                                auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR)
        async def pay(msg: KafkaMessage) -> None:
            records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
            sends = []
            for record in records:
                envelope = Envelope.from_bytes(record.value)
                if envelope.event_name != PaymentRequested.NAME:
                    continue
                request = decode(envelope)
                try:
                    authority.check_event(envelope, request)  # a bank pays only what disbursement signed
                except Refused as refusal:
                    log.warning("payment_request_refused", code=refusal.code)
                    continue
                result = answer(request, self.failing_cards)
                reply = authority.seal(result.to_envelope(
                    source="/bank/simulator", orgcode=envelope.orgcode, correlationid=envelope.correlationid,
                    causationid=envelope.id, id=str(uuid.uuid5(BANK_NAMESPACE, envelope.id))), BANK)
                trace_context = [(k, v) for k, v in record.headers if k == "traceparent"]  # the answer joins the trace
                sends.append(await self.producer.send(topic, reply.to_bytes(), key=result.key.encode(),
                                                      headers=[*kafka_headers(), *trace_context]))
            for sent in sends:
                await sent

    async def start(self) -> None:
        await self.producer.start()
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        await self.producer.stop()
