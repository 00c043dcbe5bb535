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
