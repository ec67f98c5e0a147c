"""The demo county's courses: about 40 past sessions (the September 2020 refreshers and inductions,
attended by 165 DSLs, among them) and 10 upcoming ones, with bookings and attendance."""

from datetime import date, time, timedelta

from sqlalchemy import insert, select

from core.extensions import db
from core.timefmt import london_to_utc, today_london, utcnow
from courses.models import Attendance, Booking, CourseSession, CourseType, SessionPart
from people.models import Dsl, User

SEPTEMBER_2020_TRAINED = 165  # the reference report's autumn-2020 treatment group
JOINING_LINK = "https://meet.example.org/right-support/dsl-training"
TIMES = {"induction": (time(9, 30), time(15, 30)), "refresher": (time(9, 30), time(12, 30)),
         "kcsie-update": (time(15, 45), time(17, 15))}
VENUES = (("Shire Hall", "Market Square, Warwick CV34 4RL", "Warwick"),
          ("Rugby Library", "Little Elborow Street, Rugby CV21 3BZ", "Rugby"),
          ("Nuneaton Town Hall", "Coton Road, Nuneaton CV11 5AA", "Nuneaton and Bedworth"))


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _session(course_type: CourseType, first_day: date, trainer: User, capacity: int, rng, online: bool = True):
    starts, ends = TIMES[course_type.code]
    days = [first_day]
    while len(days) < course_type.days:
        days.append(_weekday(days[-1] + timedelta(days=1)))
    venue = rng.choice(VENUES)
    session = CourseSession(course_type=course_type, first_day=first_day, mode="online" if online else "in-person",
                            joining_link=JOINING_LINK if online else None, venue=None if online else venue[0],
                            address=None if online else venue[1], district=None if online else venue[2],
                            capacity=capacity, trainer=trainer, cancelled=False,
                            parts=[SessionPart(starts_at=london_to_utc(d, starts), ends_at=london_to_utc(d, ends))
                                   for d in days])
    db.session.add(session)
    return session


class _Register:
    """The bookings and attendance rows the demo writes, gathered for two bulk inserts."""

    def __init__(self, trainer_id: int) -> None:
        self.trainer_id = trainer_id
        self.now = utcnow()
        self.bookings: list[dict] = []
        self.attendances: list[dict] = []

    def book(self, session, dsl_id, status="booked", waitlist_position=None) -> None:
        self.bookings.append({"session_id": session.id, "dsl_id": dsl_id, "status": status, "created_at": self.now,
                              "updated_at": self.now, "booked_by_id": None, "waitlist_position": waitlist_position})

    def record(self, session, dsl_ids, statuses) -> None:
        for dsl_id, status in zip(dsl_ids, statuses):
            self.book(session, dsl_id)
            self.attendances.append({"session_id": session.id, "dsl_id": dsl_id, "status": status,
                                     "recorded_at": self.now, "recorded_by_id": self.trainer_id})


def load_courses(rng) -> None:
    types = {t.code: t for t in db.session.scalars(select(CourseType))}
    trainer = db.session.scalar(select(User).where(User.email == "trainer@demo.test"))
    demo_dsl = db.session.scalar(select(Dsl.id).where(Dsl.email == "dsl@demo.test"))
    everyone = [i for i in db.session.scalars(select(Dsl.id).order_by(Dsl.id)) if i != demo_dsl]
    rng.shuffle(everyone)
    register = _Register(trainer.id)
    treated, pool = _september_2020(rng, types, trainer, everyone, register)
    _past_sessions(rng, types, trainer, pool, register)
    _demo_dsl_history(demo_dsl, register)
    _upcoming(rng, types, trainer, everyone, treated, demo_dsl, register)
    db.session.execute(insert(Booking), register.bookings)
    db.session.execute(insert(Attendance), register.attendances)


def _september_2020(rng, types, trainer, everyone, register) -> tuple[list[int], list[int]]:
    """Four online refreshers and two online inductions; 165 DSLs attended, a few others missed part
    or all. Returns the DSLs trained then and those left for other sessions."""
    september = [("refresher", date(2020, 9, 8)), ("induction", date(2020, 9, 9)), ("refresher", date(2020, 9, 15)),
                 ("refresher", date(2020, 9, 22)), ("induction", date(2020, 9, 23)), ("refresher", date(2020, 9, 29))]
    treated, others = everyone[:SEPTEMBER_2020_TRAINED], everyone[SEPTEMBER_2020_TRAINED:]
    sessions = [_session(types[code], day, trainer, 40, rng) for code, day in september]
    db.session.flush()
    for n, session in enumerate(sessions):
        group = treated[n::len(sessions)]
        missed = others[n * 3:(n + 1) * 3]
        register.record(session, group + missed, ["attended"] * len(group) + ["absent", "partial", "absent"])
    return treated, others[len(sessions) * 3:]


def _past_sessions(rng, types, trainer, pool, register) -> None:
    """The KCSIE update each September since 2019, and an induction or refresher about every three
    months from some eight years ago to eight months ago (none in September 2020, which has its own)."""
    today = today_london()
    past = []
    for year in range(2019, today.year + 1):
        september_update = _weekday(date(year, 9, 10))
        if september_update < today:
            past.append(("kcsie-update", september_update))
    for months_back in range(8, 95, 3):
        day = _weekday(today - timedelta(days=months_back * 30 + rng.randint(0, 20)))
        if day.year == 2020 and day.month == 9:
            continue
        past.append(("induction" if rng.random() < 0.35 else "refresher", day))
    for code, day in sorted(past, key=lambda p: p[1]):
        session = _session(types[code], day, trainer, 30, rng, online=rng.random() < 0.6)
        db.session.flush()
        group = rng.sample(pool, rng.randint(12, 28))
        statuses = [rng.choices(("attended", "partial", "absent"), (0.86, 0.07, 0.07))[0] for _ in group]
        register.record(session, group, statuses)


def _demo_dsl_history(demo_dsl, register) -> None:
    """dsl@demo.test: a refresher last year and this year's update."""
    today = today_london()
    last_refresher = db.session.scalar(select(CourseSession).join(CourseType).where(
        CourseType.code == "refresher", CourseSession.first_day < today - timedelta(days=300),
        CourseSession.first_day > today - timedelta(days=600)).order_by(CourseSession.first_day.desc()))
    latest_update = db.session.scalar(select(CourseSession).join(CourseType).where(
        CourseType.code == "kcsie-update", CourseSession.first_day < today).order_by(CourseSession.first_day.desc()))
    for session in (last_refresher, latest_update):
        if session is not None:
            register.record(session, [demo_dsl], ["attended"])


def _upcoming(rng, types, trainer, everyone, treated, demo_dsl, register) -> None:
    """Ten sessions over the next four months, partly booked; the second is full with a waiting
    list, and dsl@demo.test has a place on the first."""
    today = today_london()
    upcoming_codes = ["refresher", "induction", "refresher", "kcsie-update", "refresher", "induction", "refresher",
                      "refresher", "induction", "refresher"]
    upcoming_pool = [i for i in everyone if i not in set(treated[:40])]
    for n, code in enumerate(upcoming_codes):
        day = _weekday(today + timedelta(days=7 + n * 12))
        capacity = 12 if n == 1 else rng.choice((16, 20, 24, 30))
        session = _session(types[code], day, trainer, capacity, rng, online=n % 3 != 2)
        db.session.flush()
        wanted = capacity + 3 if n == 1 else rng.randint(capacity // 4, capacity - 2)
        group = rng.sample(upcoming_pool, wanted)
        if n == 0:
            group = [demo_dsl] + group[:-1]
        for position, dsl_id in enumerate(group):
            waiting = position >= capacity
            register.book(session, dsl_id, "waitlisted" if waiting else "booked",
                          position - capacity + 1 if waiting else None)
