"""The development SMS backend: each SMS becomes one JSON line ``{"phone", "kind", "template", "params",
"community"}`` appended to ``SMS_FILE`` (DESIGN §8; the demo and other programs' tests read it).

Several worker processes may append at once, so each line is one ``write`` on a descriptor opened with
``O_APPEND``: the kernel places every such write whole at the end of the file, and lines never interleave (a
buffered ``open(..., "a")`` may split a long line over several writes).
"""
import json
import logging
import os
import uuid

from participation.labels import mask_phone
from participation.reach.channels import DeliveryError, Sms, SmsConfig

logger = logging.getLogger(__name__)


def sms_line(sms: Sms) -> bytes:
    """The line as DESIGN §8 pins it, newline included."""
    record = {"phone": sms.phone, "kind": sms.kind, "template": sms.template, "params": dict(sms.params),
              "community": sms.community}
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


class FileSender:
    def __init__(self, config: SmsConfig):
        self.path = config.file_path

    def send(self, sms: Sms) -> str:
        if not self.path:
            raise DeliveryError("the file SMS backend has no file (set SMS_FILE)", temporary=False)
        line = sms_line(sms)
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                written = os.write(descriptor, line)
            finally:
                os.close(descriptor)
        except OSError as error:
            # A full disk or a directory not yet mounted may pass; the retry decides.
            raise DeliveryError(f"could not append to the SMS file: {error.strerror}", temporary=True) from error
        if written != len(line):
            raise DeliveryError("the SMS file took only part of the line (disk full?)", temporary=True)
        logger.info("SMS %s to %s written to the file backend", sms.kind, mask_phone(sms.phone))
        return f"file-{sms.key or uuid.uuid4().hex}"
