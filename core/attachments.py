"""Attachments: type-checked by their bytes, size-limited, stored through a small interface."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import Flask, Response, request, send_file

from core.errors import Problem, invalid
from core.models import Attachment, Case
from core.tenancy import TenantSession

_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# suffix -> (content type, what the file must start with)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".ppt": ("application/vnd.ms-powerpoint", (_OLE,)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (_ZIP,)),
}


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes


def read_upload(max_bytes: int) -> Upload:
    """The multipart field ``file``, checked: present, within size, of an allowed type."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise invalid({"file": ["Send the file as multipart/form-data field 'file'."]})
    content = file.stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise Problem(
            413,
            "Payload too large",
            f"Files may be at most {max_bytes} bytes.",
            kind="payload-too-large",
        )
    if not content:
        raise invalid({"file": ["The file is empty."]})
    name = PurePath(file.filename.replace("\\", "/")).name[:255] or "file"
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED:
        raise invalid({"file": [f"Allowed: {', '.join(sorted(ALLOWED))}."]})
    content_type, magics = ALLOWED[suffix]
    if not content.startswith(magics):
        raise invalid({"file": [f"The file's content is not {suffix[1:].upper()}."]})
    return Upload(name, content_type, content)


class LocalStorage:
    """Files in a folder (``instance/attachments`` by default). Keys never come from clients."""

    def __init__(self, root: Path):
        self.root = root

    def save(self, key: str, content: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    def path(self, key: str) -> Path:
        return self.root / key


class AttachmentStore:
    def __init__(self, storage: LocalStorage):
        self.storage = storage

    @classmethod
    def of(cls, app: Flask) -> AttachmentStore:
        return cls(LocalStorage(app.extensions["casecore"].config.instance_dir / "attachments"))

    def save(self, session: TenantSession, case: Case, upload: Upload, actor: str) -> Attachment:
        attachment = Attachment(
            tenant_id=case.tenant_id,
            case_id=case.id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
            storage_key="",
            actor=actor,
        )
        session.add(attachment)
        session.flush()
        attachment.storage_key = f"{case.tenant_id}/{case.id}/{attachment.id}"
        self.storage.save(attachment.storage_key, upload.content)
        return attachment

    def response(self, attachment: Attachment) -> Response:
        response = send_file(
            self.storage.path(attachment.storage_key),
            mimetype=attachment.content_type,
            as_attachment=True,
            download_name=attachment.filename,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
