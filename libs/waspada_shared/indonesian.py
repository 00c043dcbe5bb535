"""Names of the report categories in Bahasa Indonesia, for every text people read (reasons, alerts, CAP)."""

from __future__ import annotations

from waspada_shared.contracts.report import Category

CATEGORY_ID = {
    Category.ELECTION: "kerawanan pemilu/pilkada",
    Category.IDENTITY: "konflik bernuansa SARA",
    Category.LAND_RESOURCE: "konflik agraria dan sumber daya alam",
    Category.GOVERNANCE: "konflik tata kelola pemerintahan",
    Category.ECONOMIC_LABOR: "konflik ekonomi dan ketenagakerjaan",
    Category.COMMUNAL_CLASH: "bentrok antarkelompok warga",
    Category.VIGILANTISM: "aksi main hakim sendiri",
    Category.DISASTER_RELATED: "konflik terkait bencana",
    Category.SEPARATISM: "gangguan separatisme",
    Category.OTHER: "potensi konflik sosial",
}

# --- The report form's vocabulary (SPEC §3), as officials read it (the console's labels) -------------

KIND_ID = {
    "potential": "Potensi (tanda awal)",
    "incident": "Insiden (konflik terjadi)",
    "recovery": "Pemulihan (deeskalasi, rekonsiliasi)",
}
FORM_ID = {
    "demonstration": "unjuk rasa",
    "clash": "bentrokan",
    "riot": "kerusuhan",
    "attack": "penyerangan",
    "fight": "perkelahian",
    "mob_beating": "pengeroyokan",
    "kidnapping": "penculikan",
    "blockade": "pemblokiran",
    "intimidation": "intimidasi",
    "property_destruction": "perusakan properti",
    "arson": "pembakaran",
}
ELECTION_STAGE_ID = {
    "voter_registration": "pendaftaran pemilih",
    "candidate_registration": "pendaftaran calon",
    "campaign": "kampanye",
    "quiet_period": "masa tenang",
    "voting": "pemungutan suara",
    "counting": "penghitungan suara",
    "recapitulation": "rekapitulasi",
    "dispute": "sengketa hasil",
    "inauguration": "pelantikan",
}
IMPACT_ID = {
    "deaths": "Korban meninggal",
    "injured": "Korban luka",
    "displaced": "Warga mengungsi",
    "buildings_damaged": "Bangunan rusak",
    "crowd_size": "Jumlah massa",
    "arson": "Ada pembakaran",
    "weapons": "Senjata",
}
WEAPONS_ID = {
    "none": "tidak ada",
    "blunt": "benda tumpul",
    "sharp": "senjata tajam",
    "firearms": "senjata api",
    "explosives": "bahan peledak",
}
SIGNAL_ID = {
    "hate_speech": "ujaran kebencian",
    "hoax": "hoaks",
    "provocation": "provokasi",
    "outside_mobilisation": "mobilisasi massa dari luar daerah",
    "weapons_gathering": "pengumpulan senjata",
    "ultimatum": "ultimatum",
    "road_blockade": "blokade jalan",
    "mass_rally_planned": "rencana pengerahan massa",
    "attack_on_officials": "serangan terhadap aparat/pejabat",
    "attack_on_worship_place": "serangan terhadap rumah ibadah",
    "property_seizure": "penyerobotan lahan/aset",
    "election_fraud_allegation": "tuduhan kecurangan pemilu",
    "recurring_conflict": "konflik berulang",
}
ACTOR_ID = {
    "supporters": "simpatisan/pendukung",
    "party": "partai politik",
    "candidate": "calon/kandidat",
    "ormas": "ormas",
    "students": "mahasiswa/pelajar",
    "villagers": "warga desa",
    "workers": "pekerja/buruh",
    "company": "perusahaan",
    "security_forces": "aparat keamanan",
    "religious_group": "kelompok agama",
    "ethnic_group": "kelompok etnis",
    "government": "pemerintah",
    "unknown": "tidak diketahui",
}
SOURCE_TYPE_ID = {
    "official": "instansi resmi",
    "community": "masyarakat",
    "media": "media massa",
    "social_media": "media sosial",
}
# Admiralty grading (domain.md §6), in plain words: reliability belongs to the source, credibility to
# this piece of information; judged independently, written together (e.g. B2).
RELIABILITY_ID = {
    "A": "A: sepenuhnya dapat dipercaya (sumber selalu terbukti benar)",
    "B": "B: biasanya dapat dipercaya",
    "C": "C: cukup dapat dipercaya",
    "D": "D: biasanya tidak dapat dipercaya",
    "E": "E: tidak dapat dipercaya",
    "F": "F: tidak dapat dinilai (sumber belum dikenal)",
}
CREDIBILITY_ID = {
    "1": "1: sudah dikonfirmasi sumber lain",
    "2": "2: kemungkinan besar benar",
    "3": "3: mungkin benar",
    "4": "4: diragukan",
    "5": "5: kecil kemungkinan benar",
    "6": "6: tidak dapat dinilai",
}
# The risk model's factors (risk.assessed.v1 `factors[].name`), in words.
FACTOR_ID = {
    "severity": "Tingkat kekerasan dan korban",
    "harm": "Besarnya korban dan kerusakan",
    "scale": "Skala massa",
    "signals": "Tanda-tanda peringatan",
    "momentum": "Lonjakan laporan di wilayah",
    "spread": "Penyebaran ke wilayah lain",
    "recurrence": "Konflik berulang",
    "election": "Tahapan pemilu/pilkada",
    "vulnerability": "Kerawanan pemilu (IKP)",
    "history": "Riwayat konflik di wilayah ini",
    "category": "Jenis konflik",
    "confidence": "Penyesuaian mutu sumber",
    "recovery": "Pemulihan",
    "cap": "Batas skor maksimum 100",
    "context": "Konteks",
}
REPORT_STATE_ID = {
    "accepted": "Diterima (tersimpan)",
    "published": "Diteruskan untuk dinilai",
    "assessed": "Sudah dinilai",
}
AUDIENCE_ID = {"regency": "tim kabupaten/kota", "province": "tim provinsi", "national": "desk nasional"}
ALERT_STATUS_ID = {"firing": "aktif", "resolved": "selesai"}
DELIVERY_STATUS_ID = {
    "pending": "menunggu",
    "sending": "sedang dikirim",
    "delivered": "terkirim",
    "failed": "gagal",
    "suppressed": "ditahan",
    "superseded": "digantikan versi baru",
    "retry": "dicoba ulang",
    "unknown": "tidak diketahui",
}
CHANNEL_ID = {"webhook": "webhook", "email": "surel", "cap": "umpan CAP", "kafka": "topik Kafka"}
EVENT_ID = {
    "fired": "muncul",
    "escalated": "naik level",
    "deescalated": "turun level",
    "resolved": "selesai",
    "repeated": "diulang",
    "ack_escalated": "dinaikkan karena belum ditanggapi",
    "acknowledged": "ditanggapi",
    "candidate": "kandidat Level 4 diajukan",
    "candidate_reminder": "pengingat kandidat Level 4",
    "confirmed": "Level 4 dikonfirmasi",
    "declined": "kandidat Level 4 ditolak",
}
