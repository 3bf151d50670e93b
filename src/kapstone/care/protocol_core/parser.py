"""The protocol parser: every section of a protocol file validated strictly (unknown keys, types,
provenance of every number, ranges, references) into a ``Protocol``, so the checks never meet a
malformed protocol. Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from kapstone.lib.datafile import read_sources

from ._toml import SOURCE_ID, Node, header, unique_ids
from .protocol import (
    ALERT_SEVERITIES,
    HARD_STOP,
    LIMIT_LEVELS,
    MEDICATION_LEVELS,
    MOOD_LEVELS,
    NO_DRIVING_RULES,
    OPS,
    PRODUCTS,
    ROUTES,
    VITALS,
    WARN,
    Administration,
    AlertRule,
    Attestation,
    Booster,
    Ceiling,
    ChecklistItem,
    Course,
    Discharge,
    DischargeLimit,
    DoseBounds,
    DoseRule,
    Emergency,
    Fasting,
    FastingAlternative,
    MedicationClass,
    Monitoring,
    MoodCheckRule,
    MoodResult,
    NoDriving,
    NoDrivingAlternative,
    Number,
    Phases,
    PreDose,
    Protocol,
    Provenance,
    Schedule,
    Series,
    Source,
    Stage,
    Symptom,
    Tier,
    Titration,
    Value,
    VitalLimit,
    _fmt,
)


def parse_protocol(data: Mapping[str, Any], source: str = "<protocol>") -> Protocol:
    """Validate an already-parsed TOML document and build a ``Protocol``."""
    return _Parser(data, source).parse()


class _Parser:
    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.root = Node(dict(data), "", source)
        self.source = source
        self.sources: dict[str, Source] = {}

    # -- provenance and values ---------------------------------------------------------------

    def provenance(self, node: Node) -> Provenance:
        refs: tuple[str, ...] = node.strings("sources", ())
        for ref in refs:
            if ref not in self.sources:
                raise node.fail("sources", f"source {ref!r} is not listed in [[sources]]")
        clinic: bool = node.boolean("clinic_setting", False)
        note: str | None = node.string("note", None)
        if clinic and note is None:
            raise node.fail("note", "a clinic_setting needs a note saying why and what the alternatives are")
        if not clinic and not refs:
            raise node.fail(
                "sources", "cite at least one source, or mark the entry clinic_setting = true with a note"
            )
        return Provenance(refs, clinic, note)

    def level(self, node: Node, choices: tuple[str, ...] = LIMIT_LEVELS) -> str:
        level: str = node.choice("level", choices, WARN)
        return level

    def value(
        self,
        parent: Node,
        key: str,
        *,
        required: bool = False,
        limit: bool = False,
        integer: bool = False,
        positive: bool = True,
    ) -> Value | None:
        node = parent.table(key, required)
        if node is None:
            return None
        number = node.integer("value") if integer else node.number("value")
        if positive and number <= 0:
            raise node.fail("value", "must be greater than 0")
        level = self.level(node) if limit else WARN
        value = Value(number, self.provenance(node), node.path(None), level)
        node.finish()
        return value

    def required_value(self, parent: Node, key: str, **kwargs: bool) -> Value:
        value = self.value(parent, key, required=True, **kwargs)
        assert value is not None
        return value

    def pair(self, node: Node, low: Value | None, high: Value | None, high_key: str) -> None:
        if low is not None and high is not None and low.value > high.value:
            raise node.fail(high_key, f"must not be below {low.field} ({_fmt(low.value)})")

    # -- sections ----------------------------------------------------------------------------

    def parse(self) -> Protocol:
        root = self.root
        ident, version = header(root, "protocol")
        title: str = root.string("title")
        description: str | None = root.string("description", None)
        reference: str | None = root.string("reference", None)
        route: str = root.choice("route", ROUTES)
        also: tuple[str, ...] = root.strings("also_accepts_routes", ())
        for extra in also:
            if extra not in ROUTES or extra == route:
                raise root.fail(
                    "also_accepts_routes", f"{extra!r} is not another route of {', '.join(ROUTES)}"
                )
        formulation: str = root.string("formulation")
        product: str = root.choice("product", PRODUCTS)
        self.parse_sources()
        dose = self.parse_dose()
        ceiling = self.parse_ceiling(dose)
        administration = self.parse_administration()
        tiers = self.parse_tiers()
        titration = self.parse_titration()
        dose_rules = self.parse_dose_rules()
        booster = self.parse_booster()
        course = self.parse_course()
        phases = self.parse_phases()
        fasting = self.parse_fasting()
        pre_dose = self.parse_pre_dose()
        monitoring = self.parse_monitoring()
        alerts = self.parse_alerts()
        emergency = self.parse_emergency()
        discharge = self.parse_discharge()
        root.finish()
        return Protocol(
            format=1,
            id=ident,
            version=version,
            title=title,
            description=description,
            reference=reference,
            route=route,
            also_accepts_routes=also,
            formulation=formulation,
            product=product,
            sources=MappingProxyType(dict(self.sources)),
            dose=dose,
            ceiling=ceiling,
            administration=administration,
            tiers=tiers,
            titration=titration,
            dose_rules=dose_rules,
            booster=booster,
            course=course,
            phases=phases,
            fasting=fasting,
            pre_dose=pre_dose,
            monitoring=monitoring,
            alerts=alerts,
            hypertensive_emergency=emergency,
            discharge=discharge,
            path=self.source,
        )

    def parse_sources(self) -> None:
        self.sources = read_sources(self.root, Source, pattern=SOURCE_ID)

    def parse_dose(self) -> DoseBounds:
        node = self.root.table("dose", required=True)
        assert node is not None
        bounds = DoseBounds(
            *(
                self.value(node, key, limit=True)
                for key in (
                    "min_mg",
                    "max_mg",
                    "min_mg_per_kg",
                    "max_mg_per_kg",
                    "per_session_max_mg",
                    "per_session_max_mg_per_kg",
                    "multiple_of_mg",
                )
            )
        )
        self.pair(node, bounds.min_mg, bounds.max_mg, "max_mg")
        self.pair(node, bounds.min_mg_per_kg, bounds.max_mg_per_kg, "max_mg_per_kg")
        if bounds.max_mg is None and bounds.max_mg_per_kg is None:
            raise node.fail(None, "give max_mg and/or max_mg_per_kg")
        if bounds.per_session_max_mg is None and bounds.per_session_max_mg_per_kg is None:
            raise node.fail(
                None, "give per_session_max_mg and/or per_session_max_mg_per_kg (boosters included)"
            )
        node.finish()
        return bounds

    def parse_ceiling(self, dose: DoseBounds) -> Ceiling | None:
        """``[ceiling]``: four absolute limits and the decimal-slip guard, all required, no ``level``
        (always a hard stop). Absent only in stored copies older than the ceiling (the catalog then
        supplies the shipped template's); the dose check fails closed without one."""
        node = self.root.table("ceiling")
        if node is None:
            return None
        keys = ("max_mg", "max_mg_per_kg", "per_session_max_mg", "per_session_max_mg_per_kg")
        values = [self.required_value(node, key) for key in keys]
        fold = self.required_value(node, "max_fold_of_previous_dose")
        node.finish()
        hard = [replace(v, level=HARD_STOP) for v in values]
        ceiling = Ceiling(hard[0], hard[1], hard[2], hard[3], fold)
        if fold.value <= 1:
            raise node.fail("max_fold_of_previous_dose", "must be greater than 1")
        pairs = (
            (ceiling.max_mg, ceiling.per_session_max_mg),
            (ceiling.max_mg_per_kg, ceiling.per_session_max_mg_per_kg),
        )
        for per_dose, per_session in pairs:
            if per_session.value < per_dose.value:
                raise node.fail(per_session.field.rsplit(".", 1)[-1], f"must not be below {per_dose.field}")
        usual = {
            "max_mg": (dose.max_mg, dose.per_session_max_mg),
            "max_mg_per_kg": (dose.max_mg_per_kg, dose.per_session_max_mg_per_kg),
        }
        for key, (dose_max, session_max) in usual.items():
            caps = ((dose_max, getattr(ceiling, key)), (session_max, getattr(ceiling, "per_session_" + key)))
            for bound, cap in caps:
                if bound is not None and bound.value > cap.value:
                    raise node.fail(
                        cap.field.rsplit(".", 1)[-1],
                        f"the absolute ceiling ({_fmt(cap.value)}) is below the usual limit {bound.field} "
                        f"({_fmt(bound.value)}): lower the usual limit or raise the ceiling",
                    )
        return ceiling

    def parse_administration(self) -> Administration | None:
        node = self.root.table("administration")
        if node is None:
            return None
        admin = Administration(
            self.value(node, "device_mg"),
            self.value(node, "rest_between_devices_minutes"),
            self.value(node, "infusion_minutes"),
            node.string("note", None),
        )
        node.finish()
        return admin

    def parse_tiers(self) -> tuple[Tier, ...]:
        nodes = self.root.tables("dose_tiers")
        tiers: list[Tier] = []
        for node in nodes:
            tier = Tier(
                node.ident("id"),
                node.string("label"),
                node.string("description", None),
                *(
                    self.value(node, key, limit=True)
                    for key in ("min_mg", "max_mg", "min_mg_per_kg", "max_mg_per_kg")
                ),
            )
            if tier.min_mg is tier.max_mg is tier.min_mg_per_kg is tier.max_mg_per_kg is None:
                raise node.fail(
                    None, "a tier needs at least one of min_mg, max_mg, min_mg_per_kg, max_mg_per_kg"
                )
            self.pair(node, tier.min_mg, tier.max_mg, "max_mg")
            self.pair(node, tier.min_mg_per_kg, tier.max_mg_per_kg, "max_mg_per_kg")
            node.finish()
            tiers.append(tier)
        unique_ids(self.root, "dose_tiers", [t.id for t in tiers])
        return tuple(tiers)

    def parse_titration(self) -> Titration:
        node = self.root.table("titration")
        if node is None:
            return Titration(None, None, None, None)
        titration = Titration(
            *(
                self.value(node, key, limit=True)
                for key in ("first_dose_max_mg", "first_dose_max_mg_per_kg", "step_mg", "step_mg_per_kg")
            )
        )
        node.finish()
        return titration

    def parse_dose_rules(self) -> tuple[DoseRule, ...]:
        rules: list[DoseRule] = []
        for node in self.root.tables("dose_rules"):
            ident = node.ident("id")
            dose_mg: Number = node.number("dose_mg")
            start_mg: Number = node.number("requires_start_mg")
            if dose_mg <= 0 or start_mg <= 0:
                raise node.fail(None, "dose_mg and requires_start_mg must be greater than 0")
            rules.append(
                DoseRule(
                    ident, dose_mg, start_mg, self.level(node), node.string("message"), self.provenance(node)
                )
            )
            node.finish()
        unique_ids(self.root, "dose_rules", [r.id for r in rules])
        return tuple(rules)

    def parse_booster(self) -> Booster:
        node = self.root.table("booster", required=True)
        assert node is not None
        allowed: bool = node.boolean("allowed")
        level = self.level(node)
        provenance = self.provenance(node)
        max_count = self.value(node, "max_count", required=allowed, integer=True)
        numbers = (
            max_count,
            self.value(node, "min_minutes_after_first_dose"),
            self.value(node, "max_mg"),
            self.value(node, "max_mg_per_kg"),
        )
        if not allowed and any(v is not None for v in numbers):
            raise node.fail(None, "booster limits apply only when allowed = true")
        node.finish()
        return Booster(allowed, level, provenance, *numbers)

    def parse_course(self) -> Course:
        node = self.root.table("course", required=True)
        assert node is not None
        min_interval = self.required_value(node, "min_interval_hours", limit=True)
        sessions = self.value(node, "sessions", limit=True, integer=True)
        weeks = self.value(node, "weeks")
        stages: list[Stage] = []
        expected_first = 1
        stage_nodes = node.tables("stages")
        for index, snode in enumerate(stage_nodes):
            first: int = snode.integer("first_dose")
            last: int | None = snode.integer("last_dose", None)
            if first != expected_first:
                raise snode.fail(
                    "first_dose", f"expected {expected_first}: stages run on from dose 1 without gaps"
                )
            if last is None and index != len(stage_nodes) - 1:
                raise snode.fail("last_dose", "only the last stage may be open-ended")
            if last is not None and last < first:
                raise snode.fail("last_dose", "must not be before first_dose")
            stages.append(
                Stage(
                    snode.ident("id"),
                    snode.string("label"),
                    first,
                    last,
                    snode.string("frequency"),
                    self.value(snode, "min_interval_hours", limit=True),
                    snode.string("review", None),
                    self.provenance(snode),
                )
            )
            snode.finish()
            expected_first = (last or first) + 1
        unique_ids(node, "stages", [s.id for s in stages])
        node.finish()
        return Course(min_interval, sessions, weeks, tuple(stages))

    def parse_phases(self) -> Phases:
        node = self.root.table("phases", required=True)
        assert node is not None
        phases = Phases(
            self.required_value(node, "preparation_sessions_before_first_dose", integer=True, positive=False),
            self.required_value(node, "integration_within_hours"),
            node.boolean("integration_after_each_dose"),
        )
        if phases.preparation_sessions_before_first_dose.value < 0:
            raise node.fail("preparation_sessions_before_first_dose", "must not be negative")
        node.finish()
        return phases

    def parse_fasting(self) -> Fasting:
        node = self.root.table("fasting", required=True)
        assert node is not None
        food = self.required_value(node, "food_hours", limit=True)
        liquid = self.required_value(node, "liquid_minutes", limit=True)
        alternatives: list[FastingAlternative] = []
        for anode in node.tables("alternatives"):
            alt_food: Number = anode.number("food_hours")
            alt_liquid: Number = anode.number("liquid_minutes")
            if alt_food < 0 or alt_liquid < 0:
                raise anode.fail(None, "fasting times must not be negative")
            alternatives.append(FastingAlternative(alt_food, alt_liquid, self.provenance(anode)))
            anode.finish()
        node.finish()
        return Fasting(food, liquid, tuple(alternatives))

    def vital(self, node: Node, key: str = "vital") -> str:
        vital: str = node.choice(key, VITALS)
        return vital

    def parse_pre_dose(self) -> PreDose:
        node = self.root.table("pre_dose", required=True)
        assert node is not None
        required: tuple[str, ...] = node.strings("required_vitals")
        for vital in required:
            if vital not in VITALS:
                raise node.fail("required_vitals", f"{vital!r} is not one of {', '.join(VITALS)}")
        limits: list[VitalLimit] = []
        for lnode in node.tables("vital_limits"):
            ident = lnode.ident("id")
            label: str = lnode.string("label")
            vital = self.vital(lnode)
            op: str = lnode.choice("op", OPS)
            number: Number = lnode.number("value")
            value = Value(number, self.provenance(lnode), lnode.path("value"), self.level(lnode))
            limits.append(VitalLimit(ident, label, vital, op, value))
            lnode.finish()
        unique_ids(node, "vital_limits", [v.id for v in limits])
        attestations: list[Attestation] = []
        for anode in node.tables("attestations", required=True):
            attestations.append(Attestation(anode.ident("id"), anode.string("label"), self.provenance(anode)))
            anode.finish()
        unique_ids(node, "attestations", [a.id for a in attestations])
        medications: list[MedicationClass] = []
        for mnode in node.tables("medications"):
            medications.append(
                MedicationClass(
                    mnode.ident("id"),
                    mnode.string("label"),
                    self.level_of(mnode, MEDICATION_LEVELS),
                    self.provenance(mnode),
                )
            )
            mnode.finish()
        unique_ids(node, "medications", [m.id for m in medications])
        mood = self.parse_mood(node)
        node.finish()
        return PreDose(required, tuple(limits), tuple(attestations), tuple(medications), mood)

    def level_of(self, node: Node, choices: tuple[str, ...]) -> str:
        level: str = node.choice("level", choices)
        return level

    def parse_mood(self, parent: Node) -> MoodCheckRule:
        node = parent.table("mood_check", required=True)
        assert node is not None
        label: str = node.string("label")
        results: list[MoodResult] = []
        for rnode in node.tables("results", required=True):
            results.append(
                MoodResult(rnode.ident("id"), rnode.string("label"), self.level_of(rnode, MOOD_LEVELS))
            )
            rnode.finish()
        unique_ids(node, "results", [r.id for r in results])
        rule = MoodCheckRule(label, tuple(results), self.provenance(node))
        node.finish()
        return rule

    def schedule(self, parent: Node, key: str, required: bool) -> Schedule | None:
        node = parent.table(key, required)
        if node is None:
            return None
        pre_dose: bool = node.boolean("pre_dose")
        at: Series | None = None
        anode = node.table("at_minutes")
        if anode is not None:
            raw = anode.get("value")
            if not (
                isinstance(raw, list)
                and raw
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
            ):
                raise anode.fail("value", "expected a non-empty array of numbers")
            if any(v <= 0 for v in raw) or any(b <= a for a, b in zip(raw, raw[1:], strict=False)):
                raise anode.fail("value", "minutes must be greater than 0 and strictly increasing")
            at = Series(tuple(raw), self.provenance(anode), anode.path(None))
            anode.finish()
        every = self.value(node, "every_minutes")
        tolerance = self.required_value(node, "tolerance_minutes", positive=False)
        if tolerance.value < 0:
            raise node.fail("tolerance_minutes", "must not be negative")
        window = self.required_value(node, "pre_dose_window_minutes")
        scales: tuple[str, ...] = node.strings("scales", ())
        if not pre_dose and at is None and every is None:
            raise node.fail(None, "schedule nothing: give pre_dose = true, at_minutes or every_minutes")
        schedule = Schedule(pre_dose, at, every, tolerance, window, scales, node.string("note", None))
        node.finish()
        return schedule

    def parse_monitoring(self) -> Monitoring:
        node = self.root.table("monitoring", required=True)
        assert node is not None
        vitals = self.schedule(node, "vitals", True)
        assert vitals is not None
        monitoring = Monitoring(vitals, self.schedule(node, "ratings", False))
        node.finish()
        return monitoring

    def parse_alerts(self) -> tuple[AlertRule, ...]:
        rules: list[AlertRule] = []
        for node in self.root.tables("alerts", required=True):
            ident = node.ident("id")
            label: str = node.string("label")
            vital = self.vital(node)
            op: str = node.choice("op", OPS)
            number: Number = node.number("value")
            from_baseline: bool = node.boolean("from_baseline", False)
            severity: str = node.choice("severity", ALERT_SEVERITIES)
            action: str = node.string("action")
            value = Value(number, self.provenance(node), node.path("value"))
            rules.append(AlertRule(ident, label, vital, op, value, from_baseline, severity, action))
            node.finish()
        unique_ids(self.root, "alerts", [r.id for r in rules])
        return tuple(rules)

    def parse_emergency(self) -> Emergency:
        node = self.root.table("hypertensive_emergency", required=True)
        assert node is not None
        symptoms: list[Symptom] = []
        for snode in node.tables("symptoms", required=True):
            symptoms.append(Symptom(snode.ident("id"), snode.string("label")))
            snode.finish()
        unique_ids(node, "symptoms", [s.id for s in symptoms])
        emergency = Emergency(tuple(symptoms), node.string("action"), self.provenance(node))
        node.finish()
        return emergency

    def parse_discharge(self) -> Discharge:
        node = self.root.table("discharge", required=True)
        assert node is not None
        minimum = self.required_value(node, "min_observation_minutes")
        items: list[ChecklistItem] = []
        for inode in node.tables("items", required=True):
            items.append(ChecklistItem(inode.ident("id"), inode.string("label"), self.provenance(inode)))
            inode.finish()
        unique_ids(node, "items", [i.id for i in items])
        dnode = node.table("no_driving", required=True)
        assert dnode is not None
        rule: str = dnode.choice("rule", NO_DRIVING_RULES)
        hours = self.value(dnode, "hours")
        if (rule == "hours") != (hours is not None):
            raise dnode.fail("hours", 'give hours exactly when rule = "hours"')
        alternatives: list[NoDrivingAlternative] = []
        for anode in dnode.tables("alternatives"):
            alt_rule: str = anode.choice("rule", NO_DRIVING_RULES)
            alt_hours: Number | None = anode.number("hours", None)
            if (alt_rule == "hours") != (alt_hours is not None) or (alt_hours is not None and alt_hours <= 0):
                raise anode.fail("hours", 'give hours (greater than 0) exactly when rule = "hours"')
            alternatives.append(NoDrivingAlternative(alt_rule, alt_hours, self.provenance(anode)))
            anode.finish()
        no_driving = NoDriving(rule, hours, self.provenance(dnode), tuple(alternatives))
        dnode.finish()
        limits: list[DischargeLimit] = []
        for lnode in node.tables("vital_limits"):
            ident = lnode.ident("id")
            label: str = lnode.string("label")
            vital = self.vital(lnode)
            op: str = lnode.choice("op", OPS)
            number: Number = lnode.number("value")
            limits.append(
                DischargeLimit(
                    ident, label, vital, op, Value(number, self.provenance(lnode), lnode.path("value"))
                )
            )
            lnode.finish()
        unique_ids(node, "vital_limits", [v.id for v in limits])
        recent = self.value(node, "pre_discharge_vitals_minutes")
        node.finish()
        return Discharge(minimum, tuple(items), no_driving, tuple(limits), recent)
