"""Indonesian phrases for factor details and the reasons sentence. Pure."""

from __future__ import annotations

from waspada_shared.contracts.report import Form, ReportFacts, Signal, Weapons

_NUMBERS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh"]

WEAPON_ID = {
    Weapons.BLUNT: "senjata tumpul",
    Weapons.SHARP: "senjata tajam",
    Weapons.FIREARMS: "senjata api",
    Weapons.EXPLOSIVES: "bahan peledak",
}
FORM_ID = {
    Form.DEMONSTRATION: "unjuk rasa",
    Form.CLASH: "bentrokan",
    Form.RIOT: "kerusuhan",
    Form.ATTACK: "penyerangan",
    Form.FIGHT: "perkelahian massal",
    Form.MOB_BEATING: "pengeroyokan",
    Form.KIDNAPPING: "penculikan",
    Form.BLOCKADE: "blokade jalan",
    Form.INTIMIDATION: "intimidasi",
    Form.PROPERTY_DESTRUCTION: "perusakan",
    Form.ARSON: "pembakaran",
}
SIGNAL_ID = {
    Signal.HATE_SPEECH: "ujaran kebencian",
    Signal.HOAX: "hoaks",
    Signal.PROVOCATION: "provokasi",
    Signal.OUTSIDE_MOBILISATION: "massa dari luar daerah",
    Signal.WEAPONS_GATHERING: "pengumpulan senjata",
    Signal.ULTIMATUM: "ultimatum",
    Signal.ROAD_BLOCKADE: "blokade jalan",
    Signal.MASS_RALLY_PLANNED: "rencana pengerahan massa",
    Signal.ATTACK_ON_OFFICIALS: "serangan terhadap aparat atau pejabat",
    Signal.ATTACK_ON_WORSHIP_PLACE: "serangan terhadap rumah ibadah",
    Signal.PROPERTY_SEIZURE: "penguasaan paksa lahan atau aset",
    Signal.ELECTION_FRAUD_ALLEGATION: "tuduhan kecurangan pemilihan",
    Signal.RECURRING_CONFLICT: "konflik berulang",
}
# The reasons of a report that raises nothing (a peaceful demonstration with nothing else going on).
NOTHING_ESCALATES = "tidak ada tanda kekerasan, ketegangan, lonjakan laporan atau tahapan pemilu"
BAND_ID = {"high": "tinggi", "medium": "sedang", "low": "rendah"}


def number(n: int) -> str:
    """Small numbers in words, as an analyst writes them ("tiga korban meninggal")."""
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else f"{n:,}".replace(",", ".")


def severity_phrase(key: str, report: ReportFacts) -> str:
    i = report.impact
    if key == "deaths":
        return f"{number(i.deaths)} korban meninggal"
    if key == "injured":
        return f"{number(i.injured)} korban luka"
    if key == "displaced":
        return f"{number(i.displaced)} warga mengungsi"
    if key == "buildings":
        if i.arson:
            return (
                f"pembakaran {number(i.buildings_damaged)} bangunan" if i.buildings_damaged else "pembakaran"
            )
        return f"{number(i.buildings_damaged)} bangunan rusak"
    if key == "weapons":
        return f"penggunaan {WEAPON_ID.get(i.weapons, '')}".strip()
    if key == "form" and report.form is not None:
        return FORM_ID[report.form]
    return key


def signal_phrase(key: str, report: ReportFacts) -> str:
    signal = Signal(key.removeprefix("signal:"))
    if signal is Signal.ATTACK_ON_WORSHIP_PLACE and report.impact.arson:
        return "pembakaran rumah ibadah"
    return SIGNAL_ID[signal]


def crowd_phrase(report: ReportFacts) -> str:
    return f"massa sekitar {number(report.impact.crowd_size)} orang"


def sentence(phrases: list[str]) -> str:
    """Join phrases into the reasons sentence, dropping repeats."""
    return "; ".join(dict.fromkeys(p for p in phrases if p))
