"""The demo county's schools, DSL register and the demo accounts (one for each role)."""

from sqlalchemy import insert, select

from core.extensions import db
from core.timefmt import utcnow
from people.models import Dsl, School
from people.services import create_user, mfa_required

DEMO_PASSWORD = "demo-county-password"
# The demo admin and evaluator must sign in with an authenticator app too: theirs holds this key (add
# it to any authenticator app, or: python -c "import pyotp; print(pyotp.TOTP('<key>').now())").
DEMO_TOTP_SECRET = "DEMOCOUNTYDEMOCOUNTYDEMOCOUNTY23"
DEMO_ACCOUNTS = (
    ("admin@demo.test", "admin", "Alex Admin"),
    ("trainer@demo.test", "trainer", "Tara Trainer"),
    ("evaluator@demo.test", "evaluator", "Evan Evaluator"),
    ("dsl@demo.test", "dsl", "Dana Lewis"),
    ("infoline@demo.test", "infoline", "Ira Adviser"),
)
DISTRICTS = ("North Warwick", "Nuneaton and Bedworth", "Rugby", "Stratford", "Warwick")
PLACES = (
    "Abbey", "Alder", "Ash", "Beech", "Birch", "Bramble", "Brook", "Castle", "Cedar", "Chestnut", "Church",
    "Clifton", "Coton", "Elm", "Fairfield", "Field", "Glebe", "Green", "Hawthorn", "Hazel", "Heath", "Hill",
    "Holly", "Kings", "Lark", "Lime", "Manor", "Meadow", "Mill", "Oak", "Orchard", "Park", "Priory", "Queens",
    "River", "Rowan", "St Mary's", "St John's", "St Michael's", "Stone", "Valley", "Westfield", "Willow", "Wood",
)
# (phase, share of schools, pupils low-high, name endings)
PHASE_MIX = (
    ("Primary", 0.74, (60, 630), ("Primary School", "C of E Primary School", "Infant School", "Junior School", "Primary Academy")),
    ("Secondary", 0.15, (550, 1800), ("Academy", "High School", "School", "College")),
    ("Special", 0.05, (40, 260), ("Special School", "School")),
    ("Nursery", 0.02, (30, 120), ("Nursery School",)),
    ("Alternative provision", 0.02, (15, 90), ("Pupil Referral Unit", "Learning Centre")),
    ("All-through", 0.02, (900, 1900), ("All-through School",)),
)
FIRST_NAMES = (
    "Aisha", "Alan", "Amy", "Andrew", "Anita", "Ben", "Bethan", "Carl", "Chloe", "Claire", "Craig", "Daniel", "David",
    "Deborah", "Emma", "Fatima", "Gareth", "Grace", "Hannah", "Harpreet", "Helen", "Ian", "Imran", "Jack", "James",
    "Jane", "Jo", "Karen", "Kate", "Kieran", "Laura", "Liam", "Lucy", "Mark", "Mary", "Matthew", "Michelle", "Mohammed",
    "Morag", "Naomi", "Neil", "Nicola", "Olivia", "Paul", "Priya", "Rachel", "Rebecca", "Richard", "Sam", "Sarah",
    "Simon", "Sophie", "Stephen", "Susan", "Sylwia", "Tom", "Victoria", "Wendy", "Yusuf", "Zoe",
)
LAST_NAMES = (
    "Ahmed", "Bailey", "Baker", "Bennett", "Brown", "Campbell", "Carter", "Clarke", "Collins", "Cooper", "Davies",
    "Edwards", "Evans", "Fisher", "Green", "Hall", "Harris", "Hughes", "Hussain", "Jackson", "James", "Johnson",
    "Jones", "Kaur", "Khan", "King", "Lewis", "Martin", "Mitchell", "Morgan", "Morris", "Nowak", "O'Brien", "Owen",
    "Patel", "Phillips", "Reid", "Roberts", "Robinson", "Scott", "Shah", "Singh", "Smith", "Taylor", "Thomas",
    "Thompson", "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood", "Wright", "Young",
)
SCHOOL_COUNT = 250
FIRST_URN = 125000


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _schools(rng) -> list[dict]:
    now = utcnow()
    used, schools = set(), []
    phases = [p for p in PHASE_MIX for _ in range(round(p[1] * SCHOOL_COUNT))][:SCHOOL_COUNT]
    while len(phases) < SCHOOL_COUNT:
        phases.append(PHASE_MIX[0])
    for number, (phase, _share, (low, high), endings) in enumerate(phases):
        district = DISTRICTS[number % len(DISTRICTS)]
        while True:
            name = f"{rng.choice(PLACES)} {rng.choice(endings)}"
            if name not in used:
                break
            name = f"{rng.choice(PLACES)} {rng.choice(PLACES)} {rng.choice(endings)}"
            if name not in used:
                break
        used.add(name)
        pupils = int(rng.triangular(low, high, low + (high - low) * 0.4))
        fsm = round(min(75.0, max(2.0, rng.lognormvariate(2.6, 0.5) + (12 if phase in ("Special", "Alternative provision") else 0))), 1)
        schools.append({"urn": FIRST_URN + number * 3 + rng.randint(0, 2), "name": name, "pupils": pupils,
                        "fsm_percent": fsm, "phase": phase, "district": district, "created_at": now, "updated_at": now})
    return schools


def _dsls(rng, school_rows) -> list[dict]:
    """One DSL per school and 2 to 7 deputies, by size: about 1,150 people in all."""
    now, emails, people = utcnow(), set(), []
    for school_id, name, pupils in school_rows:
        domain = _slug(name)[:24] + ".example.org"
        deputies = 2 + min(5, pupils // 300) + (1 if rng.random() < 0.6 else 0)
        for index in range(1 + deputies):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first[0]}.{_slug(last)}@{domain}".lower()
            suffix = 2
            while email in emails:
                email = f"{first[0]}.{_slug(last)}{suffix}@{domain}".lower()
                suffix += 1
            emails.add(email)
            people.append({"email": email, "name": f"{first} {last}", "school_id": school_id,
                           "role": "DSL" if index == 0 else "Deputy DSL", "created_at": now, "updated_at": now})
    return people


def load_county(rng) -> None:
    """About 250 schools in 5 districts, about 1,150 DSLs, and the four demo accounts."""
    db.session.execute(insert(School), _schools(rng))
    school_rows = db.session.execute(select(School.id, School.name, School.pupils).order_by(School.id)).all()
    people = _dsls(rng, school_rows)
    first_school = school_rows[0][0]
    people.append({"email": "dsl@demo.test", "name": "Dana Lewis", "school_id": first_school, "role": "DSL",
                   "created_at": utcnow(), "updated_at": utcnow()})
    db.session.execute(insert(Dsl), people)
    for email, role, name in DEMO_ACCOUNTS:
        user = create_user(email, role, name, DEMO_PASSWORD)
        if mfa_required(user):
            user.totp_secret, user.mfa_enrolled_at = DEMO_TOTP_SECRET, utcnow()
