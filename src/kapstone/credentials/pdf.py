"""The printable certificate (fpdf2, pure Python): holder, program, date, the unique code, and a
QR code (segno) carrying the verification link. Nothing else about the trainee."""

from __future__ import annotations

import io

import segno
from django.utils import timezone
from fpdf import FPDF

from kapstone.credentials.models import Credential

_ASCII = str.maketrans({"—": "-", "–": "-", "·": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "\u00a0": " "})


def _text(value: object) -> str:
    return str(value).translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(credential: Credential, *, issuer_name: str, verify_url: str) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_text(f"Certificate {credential.code}"))
    pdf.set_creator("Kapstone")
    pdf.add_page()
    pdf.set_margins(24, 24, 24)
    pdf.set_y(30)
    pdf.set_font("Helvetica", "", 14)
    pdf.cell(0, 10, _text(issuer_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 28)
    pdf.cell(0, 18, "Certificate", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13)
    pdf.cell(0, 10, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(
        0,
        14,
        _text(credential.holder.full_name or credential.holder.email),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 13)
    pdf.cell(0, 10, "has met every requirement of", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _text(credential.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    issued = timezone.localtime(credential.issued_at).strftime("%d %B %Y")
    pdf.cell(
        0,
        8,
        _text(f"Issued {issued} - requirement set {credential.set_id} version {credential.set_version}"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=pdf.w - 24 - 40, y=pdf.h - 24 - 48, w=40, h=40, alt_text=_text(f"QR code: {verify_url}"))
    pdf.set_xy(24, pdf.h - 24 - 22)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(f"Certificate code: {credential.code}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _text(f"Check it at {verify_url}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
