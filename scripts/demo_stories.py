"""The kinds of story the demo news tells, in English and Indonesian.

A story is one event that several articles report on, days apart: a first report, then
follow-ups, reactions and the aftermath, each with its own headline and body. The seed
fills each kind with its own places, people, organisations and numbers, so stories of
one kind read as different events, and every headline is distinct. Tags are what an
editor would pick (the topic, the place), never one private to a story.
"""

# ruff: noqa: E501  (prose: a sentence is easier to read and edit whole)

from dataclasses import dataclass

# (headline, summary, body): fields in braces are filled per story (see scripts/seed.py).
Beat = tuple[str, str, str]


@dataclass(frozen=True)
class Kind:
    language: str
    category: str
    tags: tuple[str, ...]
    beats: tuple[Beat, ...]


EN_PLACES = [
    "Leeds", "Bristol", "Glasgow", "Cardiff", "Manchester", "Newcastle", "Sheffield",
    "Nottingham", "Brighton", "Belfast", "Aberdeen", "Norwich", "Plymouth", "York", "Exeter",
    "Swansea", "Dundee", "Leicester", "Oxford", "Cambridge",
]  # fmt: skip
ID_PLACES = [
    "Bandung", "Surabaya", "Semarang", "Medan", "Makassar", "Palembang", "Yogyakarta",
    "Malang", "Denpasar", "Balikpapan", "Pontianak", "Manado", "Padang", "Bogor", "Solo",
    "Cirebon", "Kupang", "Jambi", "Samarinda", "Mataram",
]  # fmt: skip
EN_NAMES = (
    "Sarah James Emma Daniel Olivia Thomas Grace Michael Laura Samuel Chloe Omar Aisha Lucas "
    "Sofia Ethan Hannah Ben Rachel Adam",
    "Whitfield Osei Carter Hughes Patel Murray Doyle Fletcher Khan Reid Barker Lloyd Quinn "
    "Ahmed Holt Marsh Bennett Shaw Dixon Nolan",
)
ID_NAMES = (
    "Budi Siti Agus Dewi Rina Andi Putri Joko Wulan Hendra Maya Yusuf Ayu Rizky Nadia Fajar "
    "Intan Bayu Dimas Lestari",
    "Santoso Wijaya Pratama Saputra Hidayat Kusuma Nugroho Setiawan Siregar Hakim Rahman "
    "Gunawan Halim Sitompul Harahap Nasution Lubis Wibowo Purnomo Susanto",
)
EN_COMPANIES = [
    "Northgate Energy", "Halden Foods", "Brightwell Bank", "Corvid Telecom", "Marlow Motors",
    "Ashby Pharma", "Kestrel Airways", "Tamsin Retail", "Pellam Steel", "Harrow Glass",
]  # fmt: skip
ID_COMPANIES = [
    "PT Sinar Nusantara", "PT Karya Bumi", "PT Samudra Logistik", "PT Mega Pangan",
    "PT Garuda Digital", "PT Arta Energi", "PT Cahaya Farma", "PT Nusa Semen",
]  # fmt: skip
EN_WATER = ["Oakridge Water", "Severn Vale Water", "Northumbrian Springs", "Wessex Rivers"]
EN_TEAMS = [
    "Leeds Rovers", "Bristol Athletic", "Glasgow Thistle", "Cardiff Harbour", "York Minster FC",
    "Norwich Canaries", "Exeter Wanderers", "Dundee Rangers", "Oxford Albion", "Sheffield Forge",
]  # fmt: skip
ID_TEAMS = [
    "Persib Muda", "Arema Raya", "PSM Nusantara", "Persebaya Jaya", "Bali Samudra",
    "PSIS Merdeka", "Persija Utama", "Borneo Perkasa",
]  # fmt: skip

KINDS = [
    Kind(
        "en",
        "Weather",
        ("weather", "floods"),
        (
            (
                "Flooding forces hundreds from homes in {place}",
                "Heavy rain overnight sent the river over its banks in {place}, and rescue crews "
                "used boats to reach stranded families.",
                "About {n} homes in low-lying streets of {place} were flooded after {m}mm of rain "
                "fell in twelve hours. Emergency services evacuated residents to a leisure centre "
                "and the council opened a helpline.\n\nThe Environment Agency issued a severe flood "
                "warning for the river and said levels would stay high until the weekend.",
            ),
            (
                "{place} flood: residents count the cost as water recedes",
                "Families returning to flooded homes in {place} found ruined furniture and "
                "walls soaked to the ceiling.",
                "Residents of {place} began clearing mud and damaged belongings as the river fell "
                "back. Insurers said claims could take months.\n\n{person}, whose ground floor was "
                "under a metre of water, said it was the second flood in four years.",
            ),
            (
                "{place} council promises review of flood defences",
                "Councillors in {place} want to know why barriers built after the last flood "
                "failed to hold.",
                "The leader of {place} council said an independent review would examine the "
                "flood defences that were overtopped this week. Campaigners said warnings about "
                "the barrier's height had been ignored.\n\nThe government pledged emergency funding "
                "of {m} million pounds for households affected by the {place} flood.",
            ),
            (
                "Flood-hit {place} businesses ask for rates relief",
                "Shops and cafes damaged in the {place} flood say they cannot afford to reopen "
                "without help.",
                "Traders in the centre of {place} estimated their losses at {m} million pounds. "
                "The chamber of commerce asked the council to waive business rates for six months "
                "while premises dry out.",
            ),
        ),
    ),
    Kind(
        "en",
        "Business",
        ("business", "jobs"),
        (
            (
                "{company} to close {place} plant with the loss of {n} jobs",
                "The company says falling demand has made its factory in {place} unprofitable.",
                "{company} told staff on Tuesday that production at its {place} site would end "
                "next spring. Unions called the decision a betrayal of a workforce that had "
                "accepted a pay freeze to keep the plant open.\n\nThe factory has operated in "
                "{place} for more than {m} years.",
            ),
            (
                "Union vows to fight {company} closure in {place}",
                "Workers at the threatened plant will ballot for industrial action.",
                "Union officials met {company} managers in {place} and said they would present "
                "an alternative plan to save the site. {person}, a shop steward, said the plant "
                "was profitable only a year ago.\n\nLocal MPs have asked the business secretary "
                "to intervene.",
            ),
            (
                "Government offers help to keep {company} site in {place} open",
                "Ministers are talking to the company about support for the factory.",
                "The business secretary said the government would look at energy costs and "
                "training grants to keep {company} in {place}. The company said it would consider "
                "any offer but that the market for its products had shrunk.\n\n{n} jobs are at "
                "risk at the plant, and hundreds more at suppliers.",
            ),
            (
                "{company} confirms {place} closure despite rescue talks",
                "Talks with ministers failed to save the factory.",
                "{company} said it had reviewed every option but would close the {place} plant "
                "as planned. Workers will receive enhanced redundancy pay.\n\nThe council said it "
                "would set up a jobs fair and help staff retrain.",
            ),
        ),
    ),
    Kind(
        "en",
        "Sports",
        ("football",),
        (
            (
                "{team} sack manager {person} after poor start",
                "The club ended {last}'s spell with the team near the bottom of the table.",
                "{team} announced that {person} had left the club with immediate effect after a "
                "run of {n} defeats in {m} games. The first-team coach will take charge for "
                "Saturday's match.\n\nSupporters had called for change after last weekend's home "
                "defeat.",
            ),
            (
                "{team} players 'share the blame' for {last} exit, says captain",
                "The {team} captain said the squad had let the former manager down.",
                "Speaking after training, the captain said the players were shocked by the "
                "decision and owed {person} a great deal. Several players thanked {last} on "
                "social media.",
            ),
            (
                "{team} win first game since {last}'s sacking",
                "The caretaker's side ended their losing run at the weekend.",
                "{team} won {n}-1 on Saturday in their first match since {person} left. The "
                "caretaker said he had asked the players to enjoy their football again and "
                "declined to say whether he wanted the job.",
            ),
            (
                "{team} appoint new manager to replace {last}",
                "The club has ended its search for a successor after two weeks.",
                "{team} have named their new manager on a three-year contract, two weeks after "
                "{person} was sacked. The board said it wanted a coach who would give young "
                "players a chance.",
            ),
        ),
    ),
    Kind(
        "en",
        "Politics",
        ("politics", "council"),
        (
            (
                "{place} council leader {person} resigns over expenses",
                "{last} quit after a newspaper reported claims for hotel stays and meals.",
                "{person} admitted mistakes but said every claim had been made in good faith. The "
                "newspaper reported expense claims of {n} pounds over two years, including hotel "
                "stays in {place} itself.\n\nThe council's deputy leader will take over until a "
                "vote next month.",
            ),
            (
                "Police review complaints over {place} council expenses",
                "Officers are assessing whether former leader {person} broke the law.",
                "Police said they had received complaints about expense claims made by {person} "
                "and were deciding whether to investigate. {last} denied any wrongdoing.\n\nThe "
                "council said it would publish all councillors' claims online.",
            ),
            (
                "{place} council elects new leader after {last} resignation",
                "Councillors chose a new leader at a heated meeting.",
                "The new leader of {place} council promised to restore trust after the "
                "resignation of {person}. Opposition members called for an early election.\n\nAn "
                "audit of expenses will report in {m} weeks.",
            ),
        ),
    ),
    Kind(
        "en",
        "Health",
        ("health", "hospitals"),
        (
            (
                "{place} hospital declares critical incident as A&E fills up",
                "Patients face long waits as beds run out at the city's main hospital.",
                "The hospital trust in {place} said {n} patients were waiting for a bed in the "
                "emergency department. People were asked to use pharmacies and GPs unless their "
                "condition was serious.\n\nStaff said flu and a norovirus outbreak on two wards "
                "had made the pressure worse.",
            ),
            (
                "Norovirus closes wards at {place} hospital",
                "Visitors are being restricted after an outbreak of the winter vomiting bug.",
                "Four wards at the {place} hospital have been closed to new admissions. The "
                "trust's medical director, {person}, said the outbreak was being contained.\n\n"
                "Visiting has been limited to one person per patient.",
            ),
            (
                "{place} hospital stands down critical incident",
                "Pressure on beds has eased after a difficult week.",
                "The hospital trust in {place} said it had stood down the critical incident after "
                "{m} patients were discharged over the weekend. {person} thanked staff who had "
                "worked extra shifts.",
            ),
        ),
    ),
    Kind(
        "en",
        "Technology",
        ("technology", "cybersecurity"),
        (
            (
                "{company} hit by cyber attack, customer data stolen",
                "Hackers took names and contact details of {n} customers, the firm says.",
                "{company} said criminals had accessed a customer database and that it had told "
                "the Information Commissioner's Office. Payment details were not affected.\n\n"
                "Customers were urged to be wary of emails claiming to come from {company}.",
            ),
            (
                "{company} customers targeted by scammers after data breach",
                "Fraudsters are using stolen details to make convincing calls.",
                "Several {company} customers said they had been called by people quoting their "
                "account details. Action Fraud said it had received {m} reports.\n\n{company} "
                "said it would never ask customers to confirm passwords by phone.",
            ),
            (
                "{company} boss apologises for cyber attack",
                "The chief executive said the company should have protected customer data.",
                "{person}, chief executive of {company}, apologised and said an outside firm was "
                "reviewing the company's security. Customers will be offered a year of free "
                "credit monitoring.",
            ),
            (
                "Regulator opens inquiry into {company} data breach",
                "The Information Commissioner wants to know why the attack went unnoticed.",
                "The regulator said it would examine whether {company} had taken reasonable "
                "steps to protect customer data. The company could face a large fine.",
            ),
        ),
    ),
    Kind(
        "en",
        "Local",
        ("transport", "rail"),
        (
            (
                "Rail workers in {place} strike over pay",
                "No trains ran from {place} on Monday as drivers walked out.",
                "Drivers at the operator serving {place} began a 48-hour strike after rejecting a "
                "pay offer of {n}%. Replacement buses ran on some routes.\n\nThe union said more "
                "strikes would follow unless the offer improved.",
            ),
            (
                "Commuters in {place} struggle on second day of rail strike",
                "Roads into {place} were gridlocked as rail passengers turned to cars.",
                "Traffic queues stretched for miles on routes into {place}. Businesses said staff "
                "could not get to work.\n\n{person}, a nurse, said her usual 30-minute journey had "
                "taken two hours.",
            ),
            (
                "{place} rail strike called off after new offer",
                "Drivers will vote on an improved pay deal.",
                "The union suspended further strikes after the operator offered {m}% over two "
                "years. Trains in {place} will run normally while members vote.",
            ),
        ),
    ),
    Kind(
        "en",
        "Law & Justice",
        ("crime", "police"),
        (
            (
                "Man charged after jewellery shop raid in {place}",
                "Police say watches worth {n} pounds were taken in a daylight robbery.",
                "A 34-year-old man has been charged with robbery after a jewellery shop in {place} "
                "was raided on Saturday afternoon. Staff were threatened with a hammer but nobody "
                "was hurt.\n\nDetectives are still looking for two other men.",
            ),
            (
                "Second arrest over {place} jewellery robbery",
                "A woman has been arrested on suspicion of handling stolen watches.",
                "Police in {place} arrested a 29-year-old woman after officers found watches at a "
                "flat. Detective inspector {person} thanked the public for information.",
            ),
            (
                "Jewellery shop robber jailed for {m} years",
                "The man who led the {place} raid was sentenced at crown court.",
                "The judge said the robbery in {place} had terrified staff. The shop's owner, "
                "{person}, said the business had lost customers since the raid.",
            ),
        ),
    ),
    Kind(
        "en",
        "Environment",
        ("environment", "water"),
        (
            (
                "Sewage spills close beaches near {place}",
                "Swimmers are told to stay out of the water after storm overflows.",
                "{water} released untreated sewage into the sea near {place} after heavy rain, "
                "forcing {n} beaches to close. Surfers' groups said the spills happened almost "
                "every week.\n\nThe company said its overflows operated within their permits.",
            ),
            (
                "{water} fined over {place} sewage spills",
                "The water company must pay {m} million pounds after a court case.",
                "Magistrates fined {water} for illegal discharges near {place} over three "
                "years. The Environment Agency said the company had failed to maintain pumps.",
            ),
            (
                "Swimmers protest on {place} beach over sewage",
                "Hundreds joined a paddle-out against pollution.",
                "Campaigners in {place} called on the government to ban bonuses at water "
                "companies that pollute. {person}, who organised the protest, said children "
                "had fallen ill after swimming.",
            ),
        ),
    ),
    Kind(
        "en",
        "Education",
        ("education", "schools"),
        (
            (
                "{place} school closed after concrete found to be unsafe",
                "Pupils will learn online while engineers inspect the building.",
                "A secondary school in {place} has closed after surveyors found crumbling "
                "concrete in its roof. About {n} pupils will be taught online this week.\n\n"
                "Headteacher {person} apologised to parents for the short notice.",
            ),
            (
                "Parents angry as {place} school stays shut",
                "The council says repairs could take months.",
                "Parents in {place} said children were falling behind while the school remains "
                "closed. The council is looking for temporary classrooms.",
            ),
            (
                "{place} pupils return to portable classrooms",
                "Lessons resume in cabins on the school field.",
                "Pupils went back to school in {place} after {m} portable classrooms were "
                "installed. {person} said the cabins were warm and well equipped.",
            ),
        ),
    ),
    Kind(
        "id",
        "Local",
        ("banjir", "cuaca"),
        (
            (
                "Banjir rendam ribuan rumah di {place}",
                "Hujan deras sejak sore membuat sungai meluap dan menggenangi permukiman warga.",
                "Badan Penanggulangan Bencana Daerah mencatat {n} rumah di {place} terendam "
                "banjir setinggi satu meter. Warga mengungsi ke masjid dan balai desa.\n\nPetugas "
                "mengerahkan perahu karet untuk mengevakuasi lansia dan anak-anak.",
            ),
            (
                "Pengungsi banjir {place} butuh air bersih",
                "Posko pengungsian kekurangan air minum dan selimut.",
                "Relawan di {place} mengatakan stok logistik menipis. {person}, koordinator "
                "posko, meminta bantuan obat-obatan dan makanan bayi.\n\nAir di permukiman mulai "
                "surut pada Kamis siang.",
            ),
            (
                "Banjir surut, warga {place} bersihkan lumpur",
                "Warga kembali ke rumah dan bergotong royong membersihkan sisa banjir.",
                "Petugas pemadam kebakaran membantu menyemprot jalan yang tertutup lumpur di "
                "{place}. Dinas kesehatan mengingatkan risiko diare setelah banjir.",
            ),
            (
                "DPRD minta normalisasi sungai di {place} dipercepat",
                "Anggota dewan menilai banjir berulang karena proyek tertunda.",
                "Anggota DPRD {place} mendesak pemerintah daerah menyelesaikan normalisasi sungai "
                "yang baru berjalan {m} persen. Kepala dinas mengatakan pembebasan lahan masih "
                "menjadi kendala.",
            ),
        ),
    ),
    Kind(
        "id",
        "Law & Justice",
        ("korupsi", "hukum"),
        (
            (
                "KPK tangkap pejabat dinas di {place} dalam operasi tangkap tangan",
                "Penyidik menyita uang yang diduga suap proyek jalan.",
                "Komisi Pemberantasan Korupsi menangkap kepala dinas pekerjaan umum {place} "
                "bersama {n} orang lainnya. Uang tunai diduga berasal dari kontraktor.\n\nPara "
                "pihak dibawa ke Jakarta untuk diperiksa.",
            ),
            (
                "KPK tetapkan kepala dinas {place} tersangka suap",
                "Tersangka diduga meminta fee dari nilai proyek.",
                "Juru bicara KPK mengatakan tersangka meminta fee {m} persen dari kontraktor. "
                "Seorang pengusaha bernama {person} juga ditetapkan sebagai tersangka.",
            ),
            (
                "KPK geledah kantor dinas PU {place}",
                "Penyidik menyita dokumen lelang proyek.",
                "Penyidik KPK menggeledah kantor dinas pekerjaan umum {place} selama delapan jam "
                "dan menyita dokumen serta uang tunai.",
            ),
        ),
    ),
    Kind(
        "id",
        "Sports",
        ("sepak-bola", "liga-1"),
        (
            (
                "{team} pecat pelatih {person} setelah rentetan kekalahan",
                "Manajemen klub menilai hasil pertandingan jauh dari target.",
                "{team} resmi memberhentikan {person} setelah kalah {n} kali berturut-turut. "
                "Asisten pelatih akan memimpin tim untuk sementara.\n\nSuporter sebelumnya "
                "menggelar aksi di depan kantor klub.",
            ),
            (
                "Pemain {team} kaget dengan pemecatan {last}",
                "Kapten tim mengatakan para pemain ikut bertanggung jawab.",
                "Kapten {team} mengatakan ruang ganti terkejut dengan keputusan manajemen. Ia "
                "berterima kasih kepada {person} atas kerja kerasnya.",
            ),
            (
                "{team} menang di laga pertama tanpa {last}",
                "Tim asuhan pelatih sementara mengakhiri tren negatif.",
                "{team} menang {n}-0 pada laga pertama setelah {person} dipecat. Pelatih "
                "sementara memuji semangat para pemain.",
            ),
        ),
    ),
    Kind(
        "id",
        "Economy",
        ("ekonomi", "pangan"),
        (
            (
                "Harga cabai di {place} naik dua kali lipat",
                "Pedagang menyebut pasokan dari petani berkurang karena cuaca.",
                "Harga cabai rawit di pasar tradisional {place} mencapai Rp{n}.000 per kilogram. "
                "Pedagang mengatakan banyak petani gagal panen.\n\nIbu rumah tangga mengeluhkan "
                "kenaikan harga menjelang akhir bulan.",
            ),
            (
                "Pemkot {place} gelar operasi pasar cabai",
                "Cabai dijual di bawah harga pasar untuk menekan kenaikan.",
                "Pemerintah kota {place} menyalurkan {m} ton cabai dalam operasi pasar. "
                "{person}, kepala dinas perdagangan, mengatakan harga diharapkan turun pekan "
                "depan.",
            ),
            (
                "Harga cabai di {place} mulai turun",
                "Pasokan membaik setelah panen di sentra produksi.",
                "Pedagang di {place} mengatakan harga cabai turun setelah pasokan dari daerah "
                "sekitar kembali normal.",
            ),
        ),
    ),
    Kind(
        "id",
        "Local",
        ("kebakaran",),
        (
            (
                "Kebakaran pasar di {place} hanguskan ratusan kios",
                "Api diduga berasal dari korsleting listrik.",
                "Kebakaran melanda pasar tradisional di {place} pada dini hari dan menghanguskan "
                "{n} kios. Petugas pemadam membutuhkan lima jam untuk memadamkan api.\n\nTidak "
                "ada korban jiwa dalam peristiwa itu.",
            ),
            (
                "Pedagang korban kebakaran pasar {place} berjualan di tenda",
                "Pemkot menyediakan lokasi sementara bagi pedagang.",
                "Ratusan pedagang korban kebakaran pasar {place} kembali berjualan di tenda "
                "darurat. {person}, pedagang sayur, mengaku kehilangan seluruh barang dagangan.",
            ),
            (
                "Polisi selidiki penyebab kebakaran pasar {place}",
                "Tim laboratorium forensik memeriksa sisa instalasi listrik.",
                "Polisi di {place} memeriksa {m} saksi terkait kebakaran pasar. Hasil "
                "pemeriksaan laboratorium forensik akan keluar pekan depan.",
            ),
        ),
    ),
]
