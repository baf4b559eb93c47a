"""The naive yardstick: how a first SimPy model of the same system is usually written. Kept only to measure against.

    python benchmarks/naive_reference.py [--days 365] [--scenario scenarios/base.yaml]

- a SimPy process per child with a plan, waking every month (about 30.4 days) to age, move away, be reviewed;
- a SimPy process per request (decision, officers, assessment), the officers a simpy.Resource;
- the review team a simpy.Resource too (20 reviewers, each review taking 20 / the reviews a day of day 0);
- a call to the random generator per draw (numpy's Generator, one number at a time), no blocks.

It reads the same compiled inputs as the engine (start caseload by age and setting, request rates, decision and
assessment times, probabilities, officers, mix of new plans, review cessation and interval, moving away, plan end
age), simplified: no appeals or repeat requests, no capped places or waiting lists, phase transfers only end plans,
rates taken on day 0. So it does the same order of
work per replication (one wake-up per child per month, one process per request), not the same model: its numbers
are not svsim's and are never used; only its run time is. It may run on the first `days` of the horizon: the
benchmark then scales its time by the full horizon / days (the caseload grows slowly, so this is close).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parents[1]
MONTH = 365.25 / 12
REVIEWERS = 20


def naive_replication(scenario, seed: int = 0, replication: int = 0, days: int | None = None) -> dict:
    """One naive replication over the first `days` days (default: the whole horizon). Returns counts and timing."""
    from svsim.domain import AGE_BAND_OF_AGE
    from svsim.model.inputs import compile_inputs
    from svsim.model.population import start_ages

    began = time.perf_counter()
    inp = compile_inputs(scenario)
    n_days = inp.cal.n_days if days is None else min(days, inp.cal.n_days)
    rng = np.random.default_rng([seed, replication])
    env = simpy.Environment()
    officers = simpy.Resource(env, capacity=max(1, inp.assess_capacity[0]))
    per_day = inp.review_capacity_per_day[0]
    reviewers = simpy.Resource(env, capacity=REVIEWERS) if 0 < per_day < float("inf") else None
    max_age = len(AGE_BAND_OF_AGE) - 1
    septembers = set(inp.cal.september_days)
    counts = {"wakeups": 0, "requests": 0, "plans_issued": 0, "ceased": 0, "reviews": 0, "moves": 0}
    plan_days = np.zeros(len(inp.place_capacity[0]))

    def band(age: int) -> int:
        return AGE_BAND_OF_AGE[min(max(age, 0), max_age)]

    def child(age: int, setting: int, due: float):
        """A child with a plan: wakes every month until the plan ends."""
        last = env.now
        while True:
            yield env.timeout(MONTH)
            counts["wakeups"] += 1
            d = int(env.now)
            plan_days[setting] += env.now - last  # cost by ticking: the naive way
            last = env.now
            if any(s in septembers for s in range(d - int(MONTH), d + 1)):
                age += 1
                if age > inp.plan_end_age:
                    counts["ceased"] += 1
                    return
                name = inp.transfer_at_age.get(age)
                if name is not None and rng.random() < inp.transfer_cease[name][0]:
                    counts["ceased"] += 1
                    return
            if rng.random() < inp.move_away_rate[0] * MONTH:
                counts["ceased"] += 1
                return
            if env.now >= due:
                if reviewers is not None:
                    with reviewers.request() as reviewer:
                        yield reviewer
                        yield env.timeout(REVIEWERS / per_day)
                counts["reviews"] += 1
                b = band(age)
                u = rng.random()
                if u < inp.review_cease[0][b]:
                    counts["ceased"] += 1
                    return
                mv = inp.review_moves[0][setting]
                if mv is not None and rng.random() < mv[0][-1]:
                    setting = mv[1][int(rng.integers(len(mv[1])))]
                    counts["moves"] += 1
                due = env.now + inp.review_interval_days[0][b]

    def request(age: int, decided: bool):
        counts["requests"] += 1
        if not decided:
            yield env.timeout(rng.gamma(4.0, inp.decide_days[0] / 4.0))
            if rng.random() < inp.refusal[0][band(age)]:
                return
        with officers.request() as place:
            yield place
            yield env.timeout(rng.gamma(4.0, inp.assess_days[0] / 4.0))
        if rng.random() < inp.not_issue[0][band(age)]:
            return
        cum, targets = inp.mix[0][band(age)]
        setting = targets[min(int(np.searchsorted(cum, rng.random(), side="right")), len(targets) - 1)]
        counts["plans_issued"] += 1
        env.process(child(age, setting, env.now + inp.review_interval_days[0][band(age)]))

    def arrivals():
        cum = inp.request_age_cum[0]
        while True:
            rate = float(inp.request_rate[int(env.now)])
            yield env.timeout(rng.exponential(1.0 / rate) if rate > 0 else n_days)
            age = int(np.searchsorted(cum, rng.random(), side="right"))
            env.process(request(age, decided=False))

    by_age = start_ages(inp.start_table, inp.age_profile)
    for age in range(by_age.shape[0]):
        for setting in range(by_age.shape[1]):
            for _ in range(int(by_age[age, setting])):
                due = rng.random() * inp.review_interval_days[0][band(age)]
                env.process(child(age, setting, due))
    cum = inp.request_age_cum[0]
    for _ in range(inp.open_requests):
        env.process(request(int(np.searchsorted(cum, rng.random(), side="right")), decided=False))
    for _ in range(inp.open_assessments):
        env.process(request(int(np.searchsorted(cum, rng.random(), side="right")), decided=True))
    env.process(arrivals())
    env.run(until=n_days)
    counts["events"] = counts["wakeups"] + 2 * counts["requests"] + counts["plans_issued"] + counts["reviews"]
    return {**counts, "days": n_days, "full_days": inp.cal.n_days, "seconds": time.perf_counter() - began,
            "plan_days": float(plan_days.sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "base.yaml"))
    parser.add_argument("--days", type=int, default=None, help="simulate only the first DAYS days (default: all)")
    args = parser.parse_args(argv)
    from svsim.scenario import load_scenario

    r = naive_replication(load_scenario(args.scenario), days=args.days)
    scaled = r["seconds"] * r["full_days"] / r["days"]
    print(f"naive reference: {r['seconds']:.2f} s for {r['days']} of {r['full_days']} days "
          f"(about {scaled:.1f} s for the whole horizon); {r['events']:,} events; {r['plans_issued']:,} plans issued")
    return 0


if __name__ == "__main__":
    sys.exit(main())
