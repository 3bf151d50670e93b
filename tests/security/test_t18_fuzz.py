"""T18 (security.md section 7): bounded fuzzing of the parsers and builders that take outside input.

Each target either accepts its input or refuses it with its own documented error; anything else
(an IndexError, a TypeError, a KeyError, a crash in a library underneath) is a finding. Bounded for
CI: a fixed seed (derandomize), a few hundred examples per target, no deadline. Each test adds its
executions to the battery's T18 line (an undocumented exception fails the test).

Targets: the vitals quick-entry parser (VitalsForm), the strict TOML reader
(kapstone.lib.datafile), the protocol, instrument-definition and screening rule-set loaders (by
mutating the shipped files), the FHIR QuestionnaireResponse import, and the CSV-cell and PDF
builders (audit export, practicum export, certificate PDF).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kapstone

PACKAGE = Path(kapstone.__file__).resolve().parent
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RUNS: Counter[str] = Counter()
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def report(battery, target: str) -> None:
    """Counted only after the search finished without an undocumented exception."""
    assert RUNS[target] > 0
    battery.tally("T18", targets=1, executions=RUNS[target])


# --- mutation of shipped data files ----------------------------------------------------------------

SCALARS = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace("inf", "inf")),
    st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(["true", "false", "[]", "{}", "[1, 2]", '""', "-0", "1e400", "nan", "2026-01-01"]),
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """The file with a few edits: a value replaced, a line dropped, duplicated or cut, junk added."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["value", "drop", "dup", "cut", "junk", "key"]))
        line = lines[i]
        if op == "value" and "=" in line:
            lines[i] = line.split("=", 1)[0] + "= " + draw(SCALARS)
        elif op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, line)
        elif op == "cut":
            lines[i] = line[: draw(st.integers(0, len(line)))]
        elif op == "junk":
            lines.insert(i, draw(st.text(max_size=30)))
        elif op == "key" and "=" in line:
            lines[i] = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True)) + " =" + line.split("=", 1)[1]
    return "\n".join(lines)


def shipped(folder: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((PACKAGE / folder).glob("*.toml"))]


# --- the strict TOML reader -------------------------------------------------------------------------


def test_datafile_reader_parses_or_raises_datafileerror(battery):
    from kapstone.lib.datafile import DataFileError, loads_toml

    @FUZZ
    @given(text=st.text(max_size=300))
    def run(text):
        RUNS["datafile.loads_toml"] += 1
        try:
            assert isinstance(loads_toml(text, "fuzz.toml"), dict)
        except DataFileError as exc:
            assert str(exc).startswith("fuzz.toml")

    run()
    report(battery, "datafile.loads_toml")


# --- protocols, instruments, rule sets --------------------------------------------------------------

PROTOCOLS = shipped("care/protocols")
DEFINITIONS = shipped("measures/definitions")
RULESETS = shipped("screening/rulesets")


def test_protocol_loader_parses_or_raises_its_error(battery):
    from kapstone.care.protocol_core.definition import parse_protocol_text
    from kapstone.lib.datafile import DataFileError

    @FUZZ
    @given(text=st.sampled_from(PROTOCOLS).flatmap(mutated))
    def run(text):
        RUNS["protocol loader"] += 1
        with contextlib.suppress(DataFileError):  # its documented refusal
            parse_protocol_text(text, "fuzz-protocol.toml")

    run()
    report(battery, "protocol loader")


def test_instrument_loader_parses_or_raises_its_error(tmp_path, battery):
    from kapstone.measures.scoring.definition import DefinitionError, load_definition

    path = tmp_path / "fuzz.toml"

    @FUZZ
    @given(text=st.sampled_from(DEFINITIONS).flatmap(mutated))
    def run(text):
        RUNS["instrument loader"] += 1
        path.write_text(text, encoding="utf-8")
        with contextlib.suppress(DefinitionError):  # its documented refusal
            load_definition(path)

    run()
    report(battery, "instrument loader")


def test_ruleset_loader_parses_or_raises_its_error(battery):
    from kapstone.screening.ruleset import RuleSetError, loads_ruleset

    @FUZZ
    @given(text=st.sampled_from(RULESETS).flatmap(mutated))
    def run(text):
        RUNS["rule-set loader"] += 1
        with contextlib.suppress(RuleSetError):  # its documented refusal
            loads_ruleset(text, "fuzz-ruleset.toml")

    run()
    report(battery, "rule-set loader")


# --- vitals quick entry -------------------------------------------------------------------------------

QUICKISH = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\s*\d{1,4}\s*/\s*\d{1,4}([\s,]+\d{1,4}){0,4}\s*", fullmatch=True),
)
BOX = st.one_of(st.just(""), st.integers(0, 400).map(str), st.text(max_size=5))
VITALS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")


def test_vitals_quick_entry_accepts_or_names_the_field(battery):
    from kapstone.care.forms import VitalsForm
    from kapstone.care.protocol_core.definition import load_protocol

    protocol = load_protocol(PACKAGE / "care/protocols/im_kap.toml")

    @FUZZ
    @given(quick=QUICKISH, box=BOX)
    def run(quick, box):
        RUNS["vitals quick entry"] += 1
        form = VitalsForm(data={"quick": quick, "heart_rate": box}, protocol=protocol)
        if not form.is_valid():
            assert set(form.errors) <= set(form.fields) | {"__all__"}
            return
        cleaned = form.cleaned_data
        assert all(cleaned.get(n) is None or isinstance(cleaned[n], int) for n in VITALS)
        if quick.strip() and not box:  # every number typed lands in one field, in order
            typed = [int(n) for n in re.findall(r"\d+", quick)]
            assert [cleaned[n] for n in VITALS if cleaned.get(n) is not None] == typed

    run()
    report(battery, "vitals quick entry")


# --- FHIR QuestionnaireResponse import --------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
ANSWERS = st.one_of(
    st.fixed_dictionaries({"valueInteger": st.integers(-5, 30)}),
    st.fixed_dictionaries({"valueDecimal": st.floats(allow_nan=False, allow_infinity=False)}),
    st.fixed_dictionaries({"valueString": st.text(max_size=10)}),
    st.fixed_dictionaries(
        {"valueCoding": st.fixed_dictionaries({"code": st.text(max_size=4), "system": st.text(max_size=8)})}
    ),
    JSON,
)


@st.composite
def questionnaire_responses(draw: st.DrawFn) -> object:
    from kapstone.measures.fhir import canonical
    from kapstone.measures.instruments import get_registry

    registry = get_registry()
    instrument = registry.get(draw(st.sampled_from(sorted(i.id for i in registry.all()))))
    items = [
        {"linkId": draw(st.sampled_from([item.id, item.id + "x", ""])), "answer": [draw(ANSWERS)]}
        for item in instrument.items[: draw(st.integers(0, len(instrument.items)))]
    ]
    resource = {
        "resourceType": draw(st.sampled_from(["QuestionnaireResponse", "Patient", ""])),
        "status": draw(st.sampled_from(["completed", "in-progress", "bogus"])),
        "questionnaire": draw(st.sampled_from([canonical(instrument), canonical(instrument) + "|99", "x"])),
        "subject": {"reference": draw(st.sampled_from(["Patient/1", "Patient/x", "Group/1"]))},
        "authored": draw(st.sampled_from(["2026-01-01T10:00:00Z", "yesterday", "2026-13-40"])),
        "item": items,
    }
    for key in draw(st.lists(st.sampled_from(sorted(resource)), max_size=2)):
        resource[key] = draw(JSON)
    return draw(st.one_of(st.just(resource), JSON))


def test_fhir_import_parses_or_raises_fhirimporterror(battery):
    from kapstone.measures.fhir import FhirImportError, Issue, parse_questionnaire_response, subject_client_id
    from kapstone.measures.instruments import get_registry

    @FUZZ
    @given(resource=questionnaire_responses())
    def run(resource):
        RUNS["FHIR QuestionnaireResponse import"] += 1
        assert isinstance(subject_client_id(resource), int | Issue)
        try:
            parse_questionnaire_response(resource, get_registry())
        except FhirImportError as exc:
            assert exc.issues

    run()
    report(battery, "FHIR QuestionnaireResponse import")


# --- CSV cells and PDFs -----------------------------------------------------------------------------


def test_csv_cells_never_start_a_formula_and_keep_the_text(battery):
    from kapstone.audit.views import _cell as audit_cell
    from kapstone.practicum.export import cell as practicum_cell

    @FUZZ
    @given(value=st.one_of(st.none(), st.text(), st.integers(), st.floats()))
    def run(value):
        RUNS["CSV cell builders"] += 1
        text = "" if value is None else str(value)
        for build in (audit_cell, practicum_cell):
            out = build(value)
            assert out in (text, "'" + text) and not out.startswith(FORMULA)

    run()
    report(battery, "CSV cell builders")


def test_the_certificate_pdf_is_built_from_any_text(battery):
    from kapstone.credentials.pdf import certificate_pdf

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(name=st.text(max_size=200), title=st.text(max_size=600), code=st.text(max_size=40))
    def run(name, title, code):
        RUNS["certificate PDF"] += 1
        credential = SimpleNamespace(
            code=code,
            title=title,
            holder=SimpleNamespace(full_name=name, email="holder@test.example"),
            issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            set_id="fuzz",
            set_version="1",
        )
        pdf = certificate_pdf(credential, issuer_name=name, verify_url="https://kapstone.example/verify/x")
        assert pdf.startswith(b"%PDF")

    run()
    report(battery, "certificate PDF")
