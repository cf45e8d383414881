"""Who may do what: the one permission table. The README's table is generated from it
(``tps-kiosk roles --markdown``) and a test keeps the two equal."""

from __future__ import annotations

import enum


class Role(enum.Enum):
    KETUA = "ketua"  # Ketua KPPS (KPPS 1)
    ANGGOTA = "anggota"  # Anggota KPPS
    OPERATOR = "operator"  # Operator Sirekap (two KPPS members)
    TEKNISI = "teknisi"  # technician
    PELATIH = "pelatih"  # trainer, only in training mode

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.KETUA: "Ketua KPPS",
    Role.ANGGOTA: "Anggota KPPS",
    Role.OPERATOR: "Operator Sirekap",
    Role.TEKNISI: "Teknisi",
    Role.PELATIH: "Pelatih",
}


class Permission(enum.Enum):
    VIEW_STATUS = "view_status"  # device check results (names the device key), printouts
    RUN_SELFTEST = "run_selftest"
    CHECKLIST_TICK = "checklist_tick"  # tick steps, enter numbers during the day
    CHECKLIST_SIGNOFF = "checklist_signoff"  # sign off opening/closing phases
    CHASIL_ENTER = "chasil_enter"  # enter C.Hasil numbers, scan, print copies
    CHASIL_CONFIRM = "chasil_confirm"  # confirm the final C.Hasil numbers
    UPLOAD = "upload"  # see the queue, "Coba sekarang", USB export
    RECORD_INCIDENT = "record_incident"  # kejadian khusus / keberatan
    ENROL_CARDS = "enrol_cards"
    VIEW_AUDIT = "view_audit"
    TRAINING_PANEL = "training_panel"  # trainer's fault buttons and "Reset latihan"


_KPPS = {Role.KETUA, Role.ANGGOTA, Role.OPERATOR}

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_STATUS: frozenset(Role),
    Permission.RUN_SELFTEST: frozenset({Role.KETUA, Role.TEKNISI, Role.PELATIH}),
    Permission.CHECKLIST_TICK: frozenset(_KPPS | {Role.PELATIH}),
    Permission.CHECKLIST_SIGNOFF: frozenset({Role.KETUA}),
    Permission.CHASIL_ENTER: frozenset(_KPPS | {Role.PELATIH}),
    Permission.CHASIL_CONFIRM: frozenset({Role.KETUA}),
    Permission.UPLOAD: frozenset({Role.KETUA, Role.OPERATOR, Role.TEKNISI}),
    Permission.RECORD_INCIDENT: frozenset(_KPPS | {Role.PELATIH}),
    Permission.ENROL_CARDS: frozenset({Role.KETUA, Role.TEKNISI}),
    Permission.VIEW_AUDIT: frozenset({Role.KETUA, Role.TEKNISI}),
    Permission.TRAINING_PANEL: frozenset({Role.PELATIH}),
}

# The Pelatih exists only in training mode: outside it the role may do nothing at all.
TRAINING_ONLY = frozenset({Role.PELATIH})


def allowed(role: Role, permission: Permission, training: bool) -> bool:
    if role in TRAINING_ONLY and not training:
        return False
    return role in PERMISSIONS[permission]


def markdown_table() -> str:
    roles = list(Role)
    rows = [
        "| Permission | " + " | ".join(r.label for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for permission, holders in PERMISSIONS.items():
        cells = ["yes" if r in holders else "" for r in roles]
        rows.append(f"| `{permission.value}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
