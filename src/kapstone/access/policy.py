"""The one access policy: which role may take which action, over which objects.

POLICY is a readable role × action table. It is the source of truth for the views (through
``kapstone.access.decorators.requires``) and the oracle the tests walk. A role missing from an
action's row is denied (deny by default).

Scopes:
  ORG        any object of the actor's active organization
  CARE_TEAM  only clients whose care team includes the actor (in the active organization)
"""

from __future__ import annotations

from enum import IntEnum

from kapstone.core.actor import Actor
from kapstone.core.roles import Role


class Scope(IntEnum):
    NONE = 0
    CARE_TEAM = 1
    ORG = 2


A, T, P, S, R = Role.ORG_ADMIN, Role.THERAPIST, Role.PRESCRIBER, Role.SUPERVISOR, Role.TRAINEE
ORG, TEAM = Scope.ORG, Scope.CARE_TEAM

POLICY: dict[str, dict[str, Scope]] = {
    # Clients. Clinical content is for the care team only; the org admin runs the clinic, not the
    # record (minimum necessary, 45 CFR 164.514(d)).
    "client.list":        {A: ORG, T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "client.view":        {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "client.create":      {A: ORG, T: ORG, P: ORG},
    "client.edit":        {T: TEAM, P: TEAM, R: TEAM},
    "careteam.manage":    {A: ORG, T: TEAM},
    # Emergency access (break-glass, 45 CFR 164.312(a)(2)(ii)): a clinician of the organization who
    # is not on the care team opens the record for a stated reason, for a limited time; trainees work
    # under supervision and the admin runs the clinic, so neither may. The admin reviews every use.
    "breakglass.invoke":  {T: ORG, P: ORG, S: ORG},
    "breakglass.review":  {A: ORG},
    # Running the organization.
    "member.view":        {A: ORG},
    "member.manage":      {A: ORG},
    "audit.view":         {A: ORG},
    "audit.export":       {A: ORG},
    # Measurement.
    "measure.view":       {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "measure.record":     {T: TEAM, P: TEAM, R: TEAM},
    "measure.assign":     {T: TEAM, P: TEAM, R: TEAM},
    "safety.acknowledge": {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "outcomes.caseload":  {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    # Program outcomes: de-identified cohort counts of the whole organization (no client row, small
    # cells suppressed), so the admin who runs the program may see them; trainees work per client.
    "outcomes.program":   {A: ORG, T: ORG, P: ORG, S: ORG},
    # Clinic-wide instrument settings (option values such as cut-points, licensed item wording):
    # configuration of the clinic, not the record, so it is the admin's.
    "instrument.configure": {A: ORG},
    # Intake, safety screening, medical clearance and consent (clinical content: care team only).
    "intake.view":        {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "intake.edit":        {T: TEAM, P: TEAM, R: TEAM},
    "screening.view":     {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "screening.submit":   {T: TEAM, P: TEAM},
    "clearance.decide":   {P: TEAM},  # and only as the prescriber on the client's care team
    "consent.view":       {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "consent.manage":     {T: TEAM, P: TEAM},  # record an in-person signature or a withdrawal
    # Clinic configuration (not the record): the screening rule set and the consent template.
    "ruleset.view":       {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "ruleset.edit":       {A: ORG, P: ORG},
    "consent.template.view": {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "consent.template.edit": {A: ORG},
    # Progress notes (kapstone.notes). Drafts are their author's; a signed note changes only by
    # addendum. Co-signing a trainee's note: a supervisor on the client's care team.
    "note.view":          {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "note.write":         {T: TEAM, P: TEAM, R: TEAM},
    "note.sign":          {T: TEAM, P: TEAM, R: TEAM},
    "note.cosign":        {S: TEAM},
    "note.addendum":      {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    # Psychotherapy notes (45 CFR 164.501): kept apart. The selectors show one only to its author,
    # or to a supervisor holding the author's active, audited training grant (164.508(a)(2)(i)(B)).
    "psychnote.write":    {T: TEAM, R: TEAM},
    "psychnote.read":     {T: TEAM, S: TEAM, R: TEAM},
    "psychnote.grant":    {T: ORG, R: ORG},
    # KAP treatment courses (kapstone.care). Protocols are clinic configuration (no client data):
    # every clinician may read them; only a prescriber writes a new version.
    "protocol.view":      {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "protocol.edit":      {P: ORG},
    "course.view":        {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "course.manage":      {T: TEAM, P: TEAM, R: TEAM},
    "dosing.record":      {T: TEAM, P: TEAM, R: TEAM},
    "dosing.override":    {P: TEAM},  # a dose or go/no-go outside protocol, with a documented justification
    "alert.acknowledge":  {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "care.print":         {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    # --- Training (kapstone.training): curriculum, knowledge checks, competencies, journal.
    # The program lead is the training organization's admin; the selectors narrow further: a trainee
    # reaches only their own enrolments, a supervisor only the trainees they supervise, and a journal
    # entry is its author's (and its supervisor's while shared), never the admin's.
    "training.home":      {A: ORG, S: ORG, R: ORG},
    "training.learn":     {R: ORG},
    "training.lead":      {A: ORG},
    "training.profile":   {A: ORG, S: ORG, R: ORG},
    "training.assess":    {S: ORG},
    "training.journal":   {S: ORG, R: ORG},
    # --- Practicum and certificates (kapstone.practicum, kapstone.credentials).
    # A trainee's own ledger; a supervisor reaches only the trainees they supervise (practicum
    # Supervision rows), which the selectors narrow to. Verifying needs the entry's named supervisor.
    "practicum.home":     {A: ORG, S: ORG, R: ORG},  # the one navigation link: ledger, desk or program
    "practicum.own":      {R: ORG},
    "practicum.trainee":  {S: ORG},
    "practicum.verify":   {S: ORG},
    "practicum.desk":     {S: ORG},
    "practicum.meeting":  {S: ORG},
    "practicum.configure": {A: ORG},  # enabled sets, their settings, the certificate's set, supervisions
    "practicum.export":   {A: ORG, S: ORG},  # the trainees (a supervisor: their own), no client named
    # Certificates: a supervisor signs off and issues; the admin (and the supervisor) revoke or
    # suspend; a trainee sees their own. Verification pages are public.
    "credential.own":     {R: ORG},
    "credential.view":    {A: ORG, S: ORG, R: ORG},  # download: one's own, or the organization's to manage
    "credential.issue":   {S: ORG},
    "credential.manage":  {A: ORG, S: ORG},
    # --- Case consultation (kapstone.consultation).
    # A case is made from a client by someone on the care team; what group members read is only the
    # text its author reviewed (ORG here; group membership narrows it in the selectors).
    "consultation.case.create": {T: TEAM, P: TEAM, S: TEAM, R: TEAM},
    "consultation.view":        {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "consultation.feedback":    {T: ORG, P: ORG, S: ORG, R: ORG},
    "consultation.group.manage": {A: ORG},
    # --- Community (kapstone.community): peer support, mentorship, workshops, library, directory.
    # Every staff member takes part in their organization's community; what is theirs (a listing, a
    # registration, a post) the services narrow further. Referrals carry client data: care team only.
    "community.view":     {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "directory.listing.edit": {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "directory.attest":   {A: ORG},  # the admin checked the licence with the board
    "referral.send":      {T: TEAM, P: TEAM},
    "referral.view":      {T: ORG, P: ORG},  # the sender's or the receiver's own referrals only
    "referral.decide":    {T: ORG, P: ORG},
    "workshop.view":      {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "workshop.register":  {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "workshop.host":      {A: ORG, T: ORG, P: ORG, S: ORG},  # create, edit, cancel, take attendance
    "forum.view":         {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "forum.post":         {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "forum.moderate":     {A: ORG, S: ORG},
    "mentorship.view":    {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "mentorship.match":   {A: ORG, S: ORG},  # run the matching over open requests
    "library.view":       {A: ORG, T: ORG, P: ORG, S: ORG, R: ORG},
    "library.share":      {A: ORG, T: ORG, P: ORG, S: ORG},
}  # fmt: skip

ACTIONS = frozenset(POLICY)


def scope_for(actor: Actor, action: str) -> Scope:
    """The widest scope any of the actor's roles in the active organization grant for the action."""
    if action not in POLICY:
        raise KeyError(f"Unknown action {action!r}: add it to kapstone.access.policy.POLICY")
    if actor.user is None or actor.organization is None:
        return Scope.NONE
    row = POLICY[action]
    return max((row.get(role, Scope.NONE) for role in actor.roles), default=Scope.NONE)


def allows(actor: Actor, action: str) -> bool:
    """May the actor take this action on at least some objects? (Object checks go through selectors.)"""
    return scope_for(actor, action) > Scope.NONE
