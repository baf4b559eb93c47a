#!/usr/bin/env python3
"""Derive the Kent base-scenario inputs from the DfE extract in ``data/dfe/``.

Stand-alone: standard library only. It reads the repository's extract, whose path is found
relative to this file. It prints YAML-ready text, and every figure carries a comment giving its exact
source (file, column, time_period) and the rule used to derive it.

    python tools/derive_kent_inputs.py > tools/derive_kent_inputs.out.txt

Sections:
  a. January 2022 caseload by age band and by setting (7 model settings)
  b. January 2023 caseload by setting (same mapping), for comparison
  c. New EHC plans in calendar 2022: single-year age shares, placement mix by age band;
     2019-2021 placement mix trend
  d. Flow rates 2019-2022 (requests, refusals, assessments, issued, timeliness, ceased)
  e. Within-band single-year age profile for the January 2022 caseload (cumulative-starts approximation)
  f. Rates for the dynamics the engine does not model yet (issue 10; see docs/dynamics.md): plan endings by
     reason and age band, plans transferring in, flows into educated elsewhere / NEET / awaiting provision,
     the under-5 band's turnover, the age bands' 2019-2023 trend, open assessment cases by Little's law

Data: DfE "Education, health and care plans" (OGL v3.0), see data/dfe/SOURCES.md.
"""

import csv
import os
import sys
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "dfe"))
NEW = "kent_and_england"                      # 2025 release (new SEN2 format)
OLD = "sen2_2022_release_kent_and_england"    # 2022 release (old aggregate SEN2 format)

SETTINGS = ["mainstream", "srp", "special", "independent", "post16", "eotas", "neet_awaiting"]
BANDS = [("under_5", 0, 4), ("age_5_10", 5, 10), ("age_11_15", 11, 15),
         ("age_16_19", 16, 19), ("age_20_25", 20, 25)]
OLD_AGE_LABEL = {"under_5": "Under 5", "age_5_10": "Age 5 to 10", "age_11_15": "Age 11 to 15",
                 "age_16_19": "Age 16 to 19", "age_20_25": "Age 20 to 25"}

# --- setting mapping, 2022 release (establishment_type rows of sen2_estab_*.csv) -----------------
OLD_MAP = {
    "mainstream": ["Mainstream - LA maintained", "Mainstream - Academy", "Mainstream - Free school",
                   "Mainstream - Independent", "Non-maintained early years"],
    "srp": ["Mainstream - LA maintained - SEN unit", "Mainstream - LA maintained - Resourced provision",
            "Mainstream - Academy - SEN unit", "Mainstream - Academy - Resourced Provision",
            "Mainstream - Free school - SEN unit", "Mainstream - Free school - Resourced provision"],
    "special": ["Special - LA maintained", "Special - Academy/free", "Hospital School"],
    "independent": ["Special - Independent", "Special - Non-maintained"],
    "post16": ["General FE and tertiary colleges/HE", "Other FE", "Sixth form college",
               "Specialist post-16 institutions"],
    "eotas": ["Elective home education", "Other arrangements by local authority",
              "Other arrangements by parents", "AP/PRU - LA maintained", "AP/PRU - Academy",
              "AP/PRU - Free school", "Permanently excluded", "Other"],
    "neet_awaiting": ["NEET",
                      "Awaiting provision - below compulsory school age and in education",
                      "Awaiting provision - below compulsory school age and not in education",
                      "Awaiting provision - compulsory school age and in education",
                      "Awaiting provision - compulsory school age and not in education",
                      "Awaiting provision - above compulsory school age and in education",
                      "Awaiting provision - above compulsory school age and not in education"],
}

# --- setting mapping, 2025 release (leaf columns of caseload.csv / newplans.csv) -----------------
NEW_MAP = {
    "mainstream": ["mainstream_la_maintained", "mainstream_academy", "mainstream_free_school",
                   "mainstream_independent", "nm_early_years"],
    "srp": ["mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
            "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
            "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit"],
    "special": ["special_la_maintained", "special_academy_free"],
    "independent": ["special_independent", "special_non_maintained"],
    "post16": ["general_fe_tertiary_colleges", "specialist_post_16_institutions", "ukrlp_provider"],
    "eotas": ["elective_home_education", "other_arrangements_la", "other_arrangements_parents",
              "ap_pru_academy", "ap_pru_free_school", "ap_pru_la_maintained", "perm_ex_2022",
              "other_schools", "other_placement_settings", "online_provider", "w_settings",
              "placement_unknown"],
    "neet_awaiting": ["neet", "neet_ntci", "neet_other", "neet_other_csa", "await_prov_2022"],
}
# columns of the new-format files that are totals, percentages or identifiers (not leaves)
NEW_NON_LEAF = {"ehcplans", "new_ehc_plans", "mainstream_total", "special_total", "ap_pru_total",
                "fe_total", "ed_elsewhere"}
ID_COLS = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name",
           "region_code", "region_name", "new_la_code", "old_la_code", "la_name",
           "breakdown_topic", "breakdown"}

OUT = []


def out(line=""):
    OUT.append(line)


def path(sub, name):
    return os.path.join(DATA, sub, name)


def src(sub, name):
    return "data/dfe/%s/%s" % (sub, name)


def read(sub, name):
    with open(path(sub, name), newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def is_kent(r):
    return r["geographic_level"] == "Local authority" and r["la_name"] == "Kent"


def is_england(r):
    return r["geographic_level"] == "National" and r["country_name"] == "England"


def num(v):
    """Integer count, or None for the DfE codes x (not available), z (not applicable), c (suppressed)."""
    v = v.strip()
    if v in ("x", "z", "c", ""):
        return None
    return int(v)


def n0(v):
    """Count with x/z treated as 0 (used only where stated)."""
    x = num(v)
    return 0 if x is None else x


def one(rows, **kw):
    hits = [r for r in rows if all(r[k] == v for k, v in kw.items())]
    if len(hits) != 1:
        sys.exit("expected exactly one row for %r, got %d" % (kw, len(hits)))
    return hits[0]


def round4(x):
    """Round a Fraction half-up to 4 decimals; returns an integer count of 1/10000."""
    return int((Fraction(x) * 10000 + Fraction(1, 2)) // 1)


def shares4(counts, keys):
    """Shares over `keys`, rounded half-up to 4 dp, then the largest share is adjusted so they sum to
    exactly 1.0000. Returns (dict key -> str, adjusted key, adjustment in 1/10000)."""
    total = sum(Fraction(counts[k]) for k in keys)
    if total == 0:
        return {k: "null" for k in keys}, None, 0
    q = {k: round4(Fraction(counts[k]) / total) for k in keys}
    diff = 10000 - sum(q.values())
    big = max(keys, key=lambda k: Fraction(counts[k]))  # first key wins ties
    q[big] += diff
    return {k: "%.4f" % (q[k] / 10000) for k in keys}, big, diff


def fmt_num(x):
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else "%.1f" % float(x)


def flow(fmt_map):
    return "{" + ", ".join("%s: %s" % (k, v) for k, v in fmt_map.items()) + "}"


def adj_note(big, diff):
    if not big or diff == 0:
        return "rounding: half-up to 4 dp, no adjustment needed"
    return "rounding: half-up to 4 dp, %+.4f put on %s (largest) so the sum is exactly 1" % (diff / 10000, big)


def pct4(a, b):
    return "%.4f" % (a / b) if b else "null"


# =================================================================================================
def map_old_estab(rows, year, value_col, label):
    """Map the establishment_type rows of a 2022-release estab file for Kent/year to the 7 settings."""
    kr = [r for r in rows if is_kent(r) and r["time_period"] == year]
    total = num(one(kr, establishment_type="Total", establishment_group="Total")[value_col])
    inv = {t: s for s, ts in OLD_MAP.items() for t in ts}
    by = {s: 0 for s in SETTINGS}
    parts = {s: [] for s in SETTINGS}
    for r in kr:
        t = r["establishment_type"]
        if t == "Total":
            continue  # group subtotal rows
        if t not in inv:
            sys.exit("unmapped establishment_type %r in %s" % (t, label))
        v = num(r[value_col])
        if v is None:
            sys.exit("non-numeric %s for %r in %s" % (value_col, t, label))
        by[inv[t]] += v
        parts[inv[t]].append("%s %d" % (t, v))
    return by, parts, total


def map_new_row(r, label):
    """Map a new-format row (caseload.csv / newplans.csv) to the 7 settings using leaf columns;
    x/z treated as 0. Checks that every leaf column in the file is mapped."""
    leaves = {c for c in r if c not in ID_COLS and c not in NEW_NON_LEAF and not c.lower().endswith("_pc")}
    mapped = {c for cs in NEW_MAP.values() for c in cs}
    if leaves != mapped:
        sys.exit("column mapping mismatch in %s: unmapped %s, missing %s"
                 % (label, sorted(leaves - mapped), sorted(mapped - leaves)))
    by, parts = {}, {}
    for s in SETTINGS:
        by[s] = sum(n0(r[c]) for c in NEW_MAP[s])
        parts[s] = ["%s %s" % (c, r[c]) for c in NEW_MAP[s] if r[c] not in ("0",)]
    return by, parts


def main():
    out("# Kent base-scenario inputs derived from the DfE EHC plans statistics extract in data/dfe/")
    out("# (Open Government Licence v3.0; see data/dfe/SOURCES.md). Generated by tools/derive_kent_inputs.py.")
    out("# Paths: NEW = data/dfe/%s/ (2025 release), OLD = data/dfe/%s/ (2022 release)." % (NEW, OLD))
    out("# All rows: la_name 'Kent' (geographic_level 'Local authority') unless marked England.")
    out("# Shares: exact fractions rounded half-up to 4 dp; where a set of shares must sum to 1, the")
    out("# largest share absorbs the rounding difference (stated on each block).")
    out("")

    # ------------------------------------------------------------------------------------------ #
    out("# " + "=" * 94)
    out("# Setting mapping (7 model settings)")
    out("# " + "=" * 94)
    out("setting_mapping:")
    out("  # OLD sen2_estab_caseload.csv / sen2_estab_new_plans.csv, column establishment_type ('Total' rows skipped)")
    out("  old_release_establishment_type:")
    for s in SETTINGS:
        out("    %s: [%s]" % (s, ", ".join('"%s"' % t for t in OLD_MAP[s])))
    out("  # NEW caseload.csv / newplans.csv leaf columns (x/z counted as 0; totals, _pc columns excluded)")
    out("  new_release_columns:")
    for s in SETTINGS:
        out("    %s: [%s]" % (s, ", ".join(NEW_MAP[s])))
    out("")

    # ------------------------------------------------------------------------------------------ #
    # a. January 2022 caseload
    age_cl = read(OLD, "sen2_age_caseload.csv")
    est_cl = read(OLD, "sen2_estab_caseload.csv")
    k22 = [r for r in age_cl if is_kent(r) and r["time_period"] == "2022"]
    tot22 = num(one(k22, characteristic_age="Total")["Total_ehc"])
    band22 = {b: num(one(k22, characteristic_age=OLD_AGE_LABEL[b])["Total_ehc"]) for b, _, _ in BANDS}
    set22, parts22, est_tot22 = map_old_estab(est_cl, "2022", "Total_ehc", "sen2_estab_caseload 2022")

    out("# " + "=" * 94)
    out("# a. January 2022 caseload (census January 2022)")
    out("# " + "=" * 94)
    out("caseload_jan2022:")
    out("  total: %d   # %s, Total_ehc, time_period 2022, characteristic_age 'Total'"
        % (tot22, src(OLD, "sen2_age_caseload.csv")))
    out("  by_age_band:   # %s, Total_ehc, time_period 2022, characteristic_age as shown"
        % src(OLD, "sen2_age_caseload.csv"))
    for b, _, _ in BANDS:
        out("    %s: %d   # '%s'" % (b, band22[b], OLD_AGE_LABEL[b]))
    s = sum(band22.values())
    out("  # check: sum of age bands = %d; Total row = %d; difference %d" % (s, tot22, s - tot22))
    out("  by_setting:   # %s, Total_ehc, time_period 2022, establishment_type rows mapped as above"
        % src(OLD, "sen2_estab_caseload.csv"))
    for st in SETTINGS:
        out("    %s: %d   # %s" % (st, set22[st], " + ".join(parts22[st])))
    s = sum(set22.values())
    out("  # check: sum of settings = %d; establishment 'Total' row = %d; age 'Total' row = %d; residual %d"
        % (s, est_tot22, tot22, s - tot22))
    sh, big, diff = shares4(set22, SETTINGS)
    out("  by_setting_share: %s   # by_setting / %d; %s" % (flow(sh), s, adj_note(big, diff)))
    # cross-check with the 2025 release's January 2022 row
    cl_new = read(NEW, "caseload.csv")
    r2122 = one([r for r in cl_new if is_kent(r)], time_period="202122", breakdown="All EHC plans")
    x22, _ = map_new_row(r2122, "caseload.csv 202122")
    dif = {st: x22[st] - set22[st] for st in SETTINGS}
    out("  # cross-check: NEW caseload.csv, time_period 202122 (January 2022), mapped by column: %s"
        % flow({k: v for k, v in x22.items()}))
    out("  #   ehcplans %s; differences vs OLD by setting: %s"
        % (r2122["ehcplans"], flow(dif)))
    out("")

    # ------------------------------------------------------------------------------------------ #
    # b. January 2023 caseload by setting
    r2223 = one([r for r in cl_new if is_kent(r)], time_period="202223", breakdown="All EHC plans")
    set23, parts23 = map_new_row(r2223, "caseload.csv 202223")
    tot23 = num(r2223["ehcplans"])
    out("# " + "=" * 94)
    out("# b. January 2023 caseload by setting (comparison only)")
    out("# " + "=" * 94)
    out("caseload_jan2023:")
    out("  total: %d   # %s, ehcplans, time_period 202223, breakdown 'All EHC plans'"
        % (tot23, src(NEW, "caseload.csv")))
    out("  by_setting:   # same file/row, leaf columns mapped as above (x counted as 0)")
    for st in SETTINGS:
        out("    %s: %d   # %s" % (st, set23[st], " + ".join(parts23[st]) if parts23[st] else "all 0/x"))
    s = sum(set23.values())
    out("  sum_of_settings: %d" % s)
    out("  residual: %d   # ehcplans - sum_of_settings" % (tot23 - s))
    sh, big, diff = shares4(set23, SETTINGS)
    out("  by_setting_share: %s   # %s" % (flow(sh), adj_note(big, diff)))
    out("  change_vs_jan2022: %s   # by_setting(Jan 2023) - by_setting(Jan 2022, section a)"
        % flow({st: "%+d" % (set23[st] - set22[st]) for st in SETTINGS}))
    out("  # NOTE: from 2023 await_prov_2022 and perm_ex_2022 are 'x'. Awaiting provision is folded into")
    out("  #   other_placement_settings (data-guidance footnote 3: 'Includes those awaiting provision, ... out of")
    out("  #   provision, and all other settings not otherwise listed'): it went from %s (Jan 2022) to %s"
        % (r2122["other_placement_settings"], r2223["other_placement_settings"]))
    out("  #   (Jan 2023). By the brief's mapping it sits in eotas, so eotas and neet_awaiting are not comparable")
    out("  #   between January 2022 and January 2023 (Jan 2022 awaiting provision was %s)." % r2122["await_prov_2022"])
    edc = ["elective_home_education", "other_arrangements_la", "other_arrangements_parents", "online_provider",
           "neet", "neet_ntci", "neet_other", "neet_other_csa"]
    out("  # NOTE: column ed_elsewhere = %s = %s (= %d). It already includes NEET, so 'educated elsewhere"
        % (r2223["ed_elsewhere"], " + ".join("%s %s" % (c, r2223[c]) for c in edc),
           sum(n0(r2223[c]) for c in edc)))
    out("  #   894' and 'NEET 176' (as quoted side by side in the project's reference figures) overlap.")
    out("  #   It excludes other_placement_settings %s." % r2223["other_placement_settings"])
    out("")

    # ------------------------------------------------------------------------------------------ #
    # c. New EHC plans 2022 by single year of age and placement mix
    np_rows = read(NEW, "newplans.csv")
    kn = [r for r in np_rows if is_kent(r)]
    en = [r for r in np_rows if is_england(r)]
    tot_row = one(kn, time_period="2022", breakdown="New EHC plans")
    np_tot = num(tot_row["new_ehc_plans"])
    age_rows = [r for r in kn if r["time_period"] == "2022" and r["breakdown_topic"] == "Age when plan started"]
    labels = sorted(r["breakdown"] for r in age_rows)
    single = {a: Fraction(0) for a in range(26)}
    by_age_row = {}
    for r in age_rows:
        b = r["breakdown"]
        by_age_row[b] = r
        v = num(r["new_ehc_plans"])
        if b == "age 20 and over":
            for a in range(20, 26):
                single[a] += Fraction(v, 6)
        elif b == "age 2 and under":
            sys.exit("Kent has an 'age 2 and under' row: update the rule")
        else:
            single[int(b.split()[1])] += v
    age_sum = sum(num(r["new_ehc_plans"]) for r in age_rows)
    eng_u2 = one(en, time_period="2022", breakdown="age 2 and under")["new_ehc_plans"]
    eng_tot = one(en, time_period="2022", breakdown="New EHC plans")["new_ehc_plans"]

    out("# " + "=" * 94)
    out("# c. New EHC plans issued in calendar year 2022, by age when plan started")
    out("# " + "=" * 94)
    out("new_plans_2022:")
    out("  total: %d   # %s, new_ehc_plans, time_period 2022, breakdown 'New EHC plans'"
        % (np_tot, src(NEW, "newplans.csv")))
    out("  # age rows: breakdown_topic 'Age when plan started', time_period 2022: %d rows (%s); they sum to %d"
        % (len(age_rows), ", ".join("'%s'" % l for l in labels), age_sum))
    out("  # Ages below 3: Kent has no 'age 2 and under' row (England has one: %s of %s). The age rows sum to"
        % (eng_u2, eng_tot))
    out("  #   the total (%d = %d), so ages 0-2 are set to 0 (none recorded), not estimated."
        % (age_sum, np_tot))
    out("  # 'age 20 and over' (%s plans) is spread evenly over ages 20-25 (1/6 each). This is an assumption:"
        % by_age_row["age 20 and over"]["new_ehc_plans"])
    out("  #   the data has no split above 20.")
    out("  count_by_single_year: {%s}" % ", ".join("%d: %s" % (a, fmt_num(single[a])) for a in range(26)))
    sh, big, diff = shares4(single, list(range(26)))
    out("  share_by_single_year:   # count / %d; %s" % (np_tot, adj_note(big, diff)))
    for a in range(26):
        note = ""
        if a <= 2:
            note = "   # no Kent row (none recorded)"
        elif a >= 20:
            note = "   # 1/6 of 'age 20 and over'"
        out("    %d: %s%s" % (a, sh[a], note))
    band_np = {b: sum(single[a] for a in range(lo, hi + 1)) for b, lo, hi in BANDS}
    out("  count_by_age_band: %s" % flow({b: fmt_num(v) for b, v in band_np.items()}))
    sh, big, diff = shares4(band_np, [b for b, _, _ in BANDS])
    out("  share_by_age_band: %s   # %s" % (flow(sh), adj_note(big, diff)))

    # placement mix by band
    out("  placement_mix_by_age_band:   # same file; each band = sum of its single-age rows, mapped by column")
    all_mix = {s: 0 for s in SETTINGS}
    for b, lo, hi in BANDS:
        rows = []
        for l, r in by_age_row.items():
            if l == "age 20 and over":
                a = 20
            else:
                a = int(l.split()[1])
            if lo <= a <= hi:
                rows.append(r)
        cnt = {s: 0 for s in SETTINGS}
        n = 0
        for r in rows:
            m, _ = map_new_row(r, "newplans.csv 2022 %s" % r["breakdown"])
            rn = num(r["new_ehc_plans"])
            if sum(m.values()) != rn:
                sys.exit("placement columns do not sum to new_ehc_plans for %s" % r["breakdown"])
            n += rn
            for s in SETTINGS:
                cnt[s] += m[s]
                all_mix[s] += m[s]
        sh, big, diff = shares4(cnt, SETTINGS)
        rl = ", ".join("'%s'" % r["breakdown"] for r in sorted(rows, key=lambda r: r["breakdown"]))
        out("    %s:   # rows %s" % (b, rl))
        out("      n: %d" % n)
        out("      counts: %s" % flow(cnt))
        warn = ""
        if n < 50:
            warn = "; WEAK: only %d plans" % n
        out("      mix: %s   # %s%s" % (flow(sh), adj_note(big, diff), warn))
        extra = ""
        if b == "under_5":
            extra = ("; the June 2023 Safety Valve monitoring report quotes ~44% of new 0-4 plans going to"
                     " special schools (its period and definition are not in this data)")
        out("      special_plus_independent: %s   # (special + independent) / n, not adjusted%s"
            % (pct4(cnt["special"] + cnt["independent"], n), extra))
    tm, _ = map_new_row(tot_row, "newplans.csv 2022 total")
    out("  placement_mix_all_ages:   # sum of the age rows; the 'New EHC plans' total row maps to %s" % flow(tm))
    sh, big, diff = shares4(all_mix, SETTINGS)
    out("    n: %d" % sum(all_mix.values()))
    out("    counts: %s" % flow(all_mix))
    out("    mix: %s   # %s" % (flow(sh), adj_note(big, diff)))
    out("    special_plus_independent: %s" % pct4(all_mix["special"] + all_mix["independent"], sum(all_mix.values())))
    out("")

    # trend 2019-2021 (+2022)
    est_np = read(OLD, "sen2_estab_new_plans.csv")
    age_np = read(OLD, "sen2_age_new_plans.csv")
    out("new_plans_placement_trend:   # all ages")
    out("  # 2019-2021: %s, Total_new_ehc, establishment_type rows mapped as above (fully itemised)."
        % src(OLD, "sen2_estab_new_plans.csv"))
    out("  # Cross-check: %s rows 2019-2021 (breakdown 'New EHC plans') give the same total; there"
        % src(NEW, "newplans.csv"))
    out("  #   elective_home_education / neet are 'x', so their columns leave a residual inside ed_elsewhere (shown).")
    out("  # 2022: section c above (NEW newplans.csv age rows).")
    for y in ("2019", "2020", "2021"):
        by, _, tot = map_old_estab(est_np, y, "Total_new_ehc", "sen2_estab_new_plans %s" % y)
        sh, big, diff = shares4(by, SETTINGS)
        nr = one(kn, time_period=y, breakdown="New EHC plans")
        nm, _ = map_new_row(nr, "newplans.csv %s" % y)
        resid = num(nr["new_ehc_plans"]) - sum(nm.values())
        out("  %s:" % y)
        out("    n: %d   # sum of establishment_type rows; 'Total' row %d; NEW newplans.csv new_ehc_plans %s"
            % (sum(by.values()), tot, nr["new_ehc_plans"]))
        out("    counts: %s" % flow(by))
        out("    mix: %s   # %s" % (flow(sh), adj_note(big, diff)))
        out("    special_plus_independent: %s   # NEW newplans.csv cross-check: special %d, independent %d; "
            "unmapped residual %d" % (pct4(by["special"] + by["independent"], sum(by.values())),
                                      nm["special"], nm["independent"], resid))
    sh, big, diff = shares4(all_mix, SETTINGS)
    out("  2022:")
    out("    n: %d" % sum(all_mix.values()))
    out("    counts: %s" % flow(all_mix))
    out("    mix: %s   # %s" % (flow(sh), adj_note(big, diff)))
    out("    special_plus_independent: %s" % pct4(all_mix["special"] + all_mix["independent"], sum(all_mix.values())))
    out("  # age-band share of new plans (%s, Total_new_ehc, characteristic_age; 2022 from section c):"
        % src(OLD, "sen2_age_new_plans.csv"))
    for y in ("2019", "2020", "2021"):
        ky = [r for r in age_np if is_kent(r) and r["time_period"] == y]
        t = num(one(ky, characteristic_age="Total")["Total_new_ehc"])
        cnt = {b: num(one(ky, characteristic_age=OLD_AGE_LABEL[b])["Total_new_ehc"]) for b, _, _ in BANDS}
        sh, big, diff = shares4(cnt, [b for b, _, _ in BANDS])
        out("  age_band_share_%s: %s   # n %d; %s" % (y, flow(sh), t, adj_note(big, diff)))
    out("")

    # ------------------------------------------------------------------------------------------ #
    # d. Flows 2019-2022
    req = read(NEW, "requests.csv")
    ass = read(NEW, "assessments.csv")
    tim = read(NEW, "timeliness_20_week.csv")
    cea = read(NEW, "ceased_plans.csv")
    mi = read(OLD, "sen2_mi.csv")
    years = ["2019", "2020", "2021", "2022"]
    cl_tp = {"2019": "201819", "2020": "201920", "2021": "202021", "2022": "202122"}

    def kv(rows, y, col, **kw):
        return num(one([r for r in rows if is_kent(r)], time_period=y, **kw)[col])

    def ev(rows, y, col, **kw):
        return num(one([r for r in rows if is_england(r)], time_period=y, **kw)[col])

    R = {y: kv(req, y, "requests_received_in_year") for y in years}
    F = {y: kv(req, y, "requests_decided_not_to_assess") for y in years}
    I = {y: kv(ass, y, "assess_issued") for y in years}
    NI = {y: kv(ass, y, "assess_not_issued") for y in years}
    AIY = {y: kv(ass, y, "assess_in_year") for y in years}
    NP = {y: kv(np_rows, y, "new_ehc_plans", breakdown="New EHC plans") for y in years}
    TD = {y: kv(tim, y, "plans_issued_den") for y in years}
    TW = {y: kv(tim, y, "plans_issued_within_20_weeks") for y in years}
    TPC = {y: one([r for r in tim if is_kent(r)], time_period=y)["pc_plans_issued_within_20_weeks"] for y in years}
    CL = {y: kv(cl_new, cl_tp[y], "ehcplans", breakdown="All EHC plans") for y in years}
    A = {y: I[y] + NI[y] for y in years}

    out("# " + "=" * 94)
    out("# d. Flows, calendar years 2019-2022 (NEW files, time_period = calendar year)")
    out("# " + "=" * 94)
    out("flows:")
    out("  requests: %s   # %s, requests_received_in_year" % (flow(R), src(NEW, "requests.csv")))
    out("  refusals: %s   # same file, requests_decided_not_to_assess (LA decided not to assess)" % flow(F))
    out("  refusal_rate: %s   # refusals / requests (same calendar year)"
        % flow({y: pct4(F[y], R[y]) for y in years}))
    out("  assessments_decided: %s   # %s, assess_issued + assess_not_issued (assess_in_year is 'x' for 2019-2021;"
        % (flow(A), src(NEW, "assessments.csv")))
    out("  #   2022 assess_in_year = %s, assess_withdrawn = %s)"
        % (AIY["2022"], one([r for r in ass if is_kent(r)], time_period="2022")["assess_withdrawn"]))
    out("  assessed_not_issued: %s   # assess_not_issued" % flow(NI))
    out("  not_issued_rate: %s   # assess_not_issued / assessments_decided (2022 published assess_not_issued_pc %s)"
        % (flow({y: pct4(NI[y], A[y]) for y in years}),
           one([r for r in ass if is_kent(r)], time_period="2022")["assess_not_issued_pc"]))
    out("  plans_issued: %s   # assess_issued; equals %s new_ehc_plans %s"
        % (flow(I), src(NEW, "newplans.csv"), flow(NP)))
    out("  issued_within_20_weeks: %s   # %s, plans_issued_within_20_weeks (including exceptions)"
        % (flow(TW), src(NEW, "timeliness_20_week.csv")))
    out("  timeliness_denominator: %s   # same file, plans_issued_den (differs from plans_issued; DfE figure)"
        % flow(TD))
    out("  within_20_weeks_rate: %s   # plans_issued_within_20_weeks / plans_issued_den; published "
        "pc_plans_issued_within_20_weeks %s" % (flow({y: pct4(TW[y], TD[y]) for y in years}), flow(TPC)))
    out("  caseload_jan_same_year: %s   # %s, ehcplans, time_period %s"
        % (flow(CL), src(NEW, "caseload.csv"), "/".join(cl_tp[y] for y in years)))
    out("  requests_per_caseload: %s   # requests / January caseload of the same calendar year"
        % flow({y: pct4(R[y], CL[y]) for y in years}))
    out("  new_plans_per_caseload: %s   # plans_issued / January caseload of the same calendar year"
        % flow({y: pct4(I[y], CL[y]) for y in years}))
    out("  issued_per_request: %s   # plans_issued / requests, same-year ratio (not a cohort conversion rate)"
        % flow({y: pct4(I[y], R[y]) for y in years}))

    # ceased 2022
    reasons = ["max_age", "needs_met", "he", "employ", "transfer", "no_engage", "moved_outside_eng",
               "deceased", "not_rec", "other"]
    cr = one([r for r in cea if is_kent(r)], time_period="2022")
    ct = num(cr["total_ceased"])
    cc = {k: num(cr[k]) for k in reasons}
    mean_cl = Fraction(CL["2022"] + tot23, 2)
    out("  ceased_2022:   # %s, time_period 2022, breakdown 'All ceased EHC plans'" % src(NEW, "ceased_plans.csv"))
    out("    total: %d   # total_ceased (sum of reason columns = %d)" % (ct, sum(cc.values())))
    out("    by_reason: %s" % flow(cc))
    out("    # guidance labels: max_age 'maximum age reached', needs_met 'needs met without a plan', he 'moved to HE',")
    out("    #   employ 'paid employment', transfer 'transferred to another LA', no_engage 'no longer wishes to engage',")
    out("    #   not_rec 'ceased for other reasons', other 'reason is not recorded' (these two labels look swapped)")
    sh, big, diff = shares4(cc, reasons)
    out("    share_of_ceased: %s   # %s" % (flow(sh), adj_note(big, diff)))
    out("    rate_per_jan2022_caseload: %s   # total_ceased / %d (January 2022 caseload, section a)"
        % (pct4(ct, CL["2022"]), CL["2022"]))
    out("    rate_by_reason_per_jan2022_caseload: %s   # by_reason / %d, 5 dp, not adjusted"
        % (flow({k: "%.5f" % (v / CL["2022"]) for k, v in cc.items()}), CL["2022"]))
    out("    rate_per_mean_caseload: %s   # total_ceased / mean(Jan 2022 %d, Jan 2023 %d) = / %s"
        % (pct4(ct, mean_cl), CL["2022"], tot23, fmt_num(mean_cl)))
    out("  # Discontinued plans 2019-2021, old aggregate collection. This is a SERIES BREAK with ceased_2022: the reason")
    out("  #   categories and the definition differ. %s, DisleaEHC (transferred to another LA), DismetEHC (needs met)," %
        src(OLD, "sen2_mi.csv"))
    out("  #   DisleftEHC (left school at/after end of compulsory schooling), DisothEHC (other):")
    disc = {}
    for y in ("2019", "2020", "2021"):
        mr = one([r for r in mi if is_kent(r)], time_period=y)
        parts = {c: num(mr[c]) for c in ("DisleaEHC", "DismetEHC", "DisleftEHC", "DisothEHC")}
        disc[y] = sum(parts.values())
        out("  discontinued_%s: {total: %d, %s, rate_per_jan_caseload: %s}"
            % (y, disc[y], ", ".join("%s: %d" % kv_ for kv_ in parts.items()), pct4(disc[y], CL[y])))
    out("  # Transfers between settings (old collection only, not collected in the 2022 flows): %s" % src(OLD, "sen2_mi.csv"))
    for y in ("2019", "2020", "2021"):
        mr = one([r for r in mi if is_kent(r)], time_period=y)
        out("  transfers_%s: {mainstream_to_special: %s, special_to_mainstream: %s, mainstream_to_home_ed: %s, "
            "special_to_home_ed: %s}   # MtosiEHC, SitomEHC, MtoParEHC, SitoParEHC"
            % (y, mr["MtosiEHC"], mr["SitomEHC"], mr["MtoParEHC"], mr["SitoParEHC"]))
    out("  # Cross-check vs old collection (%s, 2019-2021): InreqEHC %s, AssRefusedEHC %s, NewallEHC %s, AssnoneEHC %s"
        % (src(OLD, "sen2_mi.csv"),
           flow({y: one([r for r in mi if is_kent(r)], time_period=y)["InreqEHC"] for y in ("2019", "2020", "2021")}),
           flow({y: one([r for r in mi if is_kent(r)], time_period=y)["AssRefusedEHC"] for y in ("2019", "2020", "2021")}),
           flow({y: one([r for r in mi if is_kent(r)], time_period=y)["NewallEHC"] for y in ("2019", "2020", "2021")}),
           flow({y: one([r for r in mi if is_kent(r)], time_period=y)["AssnoneEHC"] for y in ("2019", "2020", "2021")})))
    bal = CL["2022"] + I["2022"] - ct
    out("  stock_flow_check_2022:   # Jan 2022 caseload + plans issued 2022 - ceased 2022 vs Jan 2023 caseload")
    out("    implied_jan2023: %d   # %d + %d - %d" % (bal, CL["2022"], I["2022"], ct))
    out("    actual_jan2023: %d" % tot23)
    out("    gap: %d   # actual - implied; not explained by these flows. Note the January 2023 census comes from the"
        % (tot23 - bal))
    out("    #   new person-level collection (series break). No further breakdown is available in this extract.")
    out("  england_reference:   # same files and columns, geographic_level National")
    out("    refusal_rate: %s" % flow({y: pct4(ev(req, y, "requests_decided_not_to_assess"),
                                             ev(req, y, "requests_received_in_year")) for y in years}))
    out("    not_issued_rate: %s" % flow({y: pct4(ev(ass, y, "assess_not_issued"),
                                                ev(ass, y, "assess_issued") + ev(ass, y, "assess_not_issued"))
                                          for y in years}))
    out("    within_20_weeks_rate: %s" % flow({y: pct4(ev(tim, y, "plans_issued_within_20_weeks"),
                                                     ev(tim, y, "plans_issued_den")) for y in years}))
    ecl = ev(cl_new, "202122", "ehcplans", breakdown="All EHC plans")
    out("    ceased_rate_per_jan2022_caseload: %s   # %s / %d"
        % (pct4(ev(cea, "2022", "total_ceased"), ecl), ev(cea, "2022", "total_ceased"), ecl))
    out("")

    # ------------------------------------------------------------------------------------------ #
    # e. Within-band single-year profile of the January 2022 caseload
    cum = {}
    run = Fraction(0)
    for a in range(26):
        run += single[a]
        cum[a] = run
    out("# " + "=" * 94)
    out("# e. Single-year age profile within bands, January 2022 caseload (APPROXIMATION)")
    out("# " + "=" * 94)
    out("caseload_jan2022_single_year_profile:")
    out("  # Rule: weight(a) is proportional to C(a) = sum over ages b <= a of the 2022 new plans at age b")
    out("  #   (section c count_by_single_year, with 'age 20 and over' spread evenly over 20-25), normalised within")
    out("  #   each band. This is the stock a constant yearly inflow with the 2022 age-at-start mix would build")
    out("  #   if nobody left. It ignores ceasing, growth in starts over time, and the gap between age at census")
    out("  #   and age at start. Rounding: half-up to 4 dp, the largest weight absorbs the difference.")
    out("  cumulative_new_plans_2022: {%s}" % ", ".join("%d: %s" % (a, fmt_num(cum[a])) for a in range(26)))
    out("  weights:")
    for b, lo, hi in BANDS:
        ages = list(range(lo, hi + 1))
        w, big, diff = shares4({a: cum[a] for a in ages}, ages)
        flag = ""
        if b == "under_5":
            flag = ("   # ages 0-2 get 0 because Kent recorded no 2022 starts below age 3 (section c). "
                    + adj_note(big, diff))
        elif b in ("age_16_19", "age_20_25"):
            flag = ("   # WEAK: cumulative starts are nearly flat here and leavers (exits at 16 and 19, ceasing at "
                    "20-25) are not in it. " + adj_note(big, diff))
        else:
            flag = "   # " + adj_note(big, diff)
        out("    %s: {%s}%s" % (b, ", ".join("%d: %s" % (a, w[a]) for a in ages), flag))
    out("  implied_jan2022_counts:   # band caseload (section a) x unrounded weight, 1 dp; for information")
    for b, lo, hi in BANDS:
        ages = list(range(lo, hi + 1))
        tot_c = sum(cum[a] for a in ages)
        out("    %s: {%s}   # band total %d%s" % (b, ", ".join("%d: %.1f" % (a, float(band22[b] * cum[a] / tot_c))
                                                            for a in ages), band22[b],
                                               "; WEAK" if b in ("age_16_19", "age_20_25") else ""))

    section_f()
    sys.stdout.write("\n".join(OUT) + "\n")


# Figures from the Report (Kent County Council, Safety Valve monitoring Q1 2023-24, 15 June 2023) used in section f
REPORT_JAN2023_BY_BAND = {"under_5": 676, "age_5_10": 5570, "age_11_15": 6802, "age_16_19": 3820, "age_20_25": 2063}
REPORT_BACKLOG_REVIEWS = (492, 100)      # annual reviews completed by the Annual Review Backlog Team in May 2023, ceased
REPORT_OPEN_CASES_MAY2023 = 2100         # "almost 2,100 open cases" (needs assessments under way), May 2023


def section_f():
    """Rates the missing dynamics need, each with its rule (issue 10)."""
    years = ["2019", "2020", "2021", "2022"]
    age_cl = read(OLD, "sen2_age_caseload.csv")
    age_np = read(OLD, "sen2_age_new_plans.csv")
    est_cl = read(OLD, "sen2_estab_caseload.csv")
    est_np = read(OLD, "sen2_estab_new_plans.csv")
    cl_new = read(NEW, "caseload.csv")
    np_new = read(NEW, "newplans.csv")
    cea = read(NEW, "ceased_plans.csv")
    mi = read(OLD, "sen2_mi.csv")
    req = read(NEW, "requests.csv")
    bands = [b for b, _, _ in BANDS]

    def band_stock(y):
        kr = [r for r in age_cl if is_kent(r) and r["time_period"] == y]
        return {b: num(one(kr, characteristic_age=OLD_AGE_LABEL[b])["Total_ehc"]) for b in bands}

    stock = {y: band_stock(y) for y in years}
    stock["2023"] = dict(REPORT_JAN2023_BY_BAND)
    total = {y: sum(v.values()) for y, v in stock.items()}

    out("")
    out("# " + "=" * 94)
    out("# f. Rates for the dynamics the engine does not model yet (issue 10; docs/dynamics.md says where each goes)")
    out("# " + "=" * 94)
    out("missing_dynamics:")
    out("  # January caseload by age band: %s, Total_ehc, 2019-2022; January 2023: the Report (= DfE SEN2 2023)"
        % src(OLD, "sen2_age_caseload.csv"))
    for y in sorted(stock):
        out("  caseload_jan%s: {%s}   # total %d" % (y, ", ".join("%s: %d" % (b, stock[y][b]) for b in bands), total[y]))

    # f1. plan endings by reason and age band --------------------------------------------------------------
    cr = one([r for r in cea if is_kent(r)], time_period="2022")
    reason = {k: num(cr[k]) for k in ("max_age", "needs_met", "he", "employ", "transfer", "no_engage",
                                      "moved_outside_eng", "deceased", "not_rec", "other")}
    s22 = stock["2022"]
    post16 = s22["age_16_19"] + s22["age_20_25"]
    leaving = reason["he"] + reason["employ"] + reason["no_engage"]
    anywhere = reason["needs_met"] + reason["deceased"] + reason["not_rec"] + reason["other"]
    out("  plan_endings_2022:   # %s, time_period 2022 (Kent); bands: January 2022 caseload" % src(NEW, "ceased_plans.csv"))
    out("    # Rule (the reasons are not published by age): leaving education (he %d + employ %d + no_engage %d = %d)"
        % (reason["he"], reason["employ"], reason["no_engage"], leaving))
    out("    #   happens at 16-25, split by the 16-19 and 20-25 caseloads; needs met, deceased and other (%d) happen at"
        % anywhere)
    out("    #   every age, split by caseload; max_age (%d) is the age-25 ending already modelled; transfer (%d) and"
        % (reason["max_age"], reason["transfer"]))
    out("    #   moved outside England (%d) are the moves away already modelled." % reason["moved_outside_eng"])
    rates = {}
    for b in bands:
        n = Fraction(anywhere * s22[b], total["2022"])
        if b in ("age_16_19", "age_20_25"):
            n += Fraction(leaving * s22[b], post16)
        rates[b] = n / s22[b]
    out("    leaving_education_rate_per_year_16_25: %s   # %d / %d plans aged 16-25"
        % (pct4(leaving, post16), leaving, post16))
    out("    other_endings_rate_per_year_all_ages: %s   # %d / %d plans" % (pct4(anywhere, total["2022"]), anywhere,
                                                                          total["2022"]))
    out("    ending_rate_per_plan_year: {%s}   # excluding age 25 and moves away"
        % ", ".join("%s: %.4f" % (b, float(rates[b])) for b in bands))
    out("    ending_share_per_review: {%s}   # the same per review: under 5 reviewed twice a year, others once"
        % ", ".join("%s: %.4f" % (b, float(rates[b] / (2 if b == "under_5" else 1))) for b in bands))
    n_rev, n_ceased = REPORT_BACKLOG_REVIEWS
    out("    backlog_team_cease_share: %s   # Report, condition 3: %d of %d reviews the Annual Review Backlog Team"
        % (pct4(n_ceased, n_rev), n_ceased, n_rev))
    out("    #   completed in May 2023 were ceased. These were prioritised overdue cases, so the share is a rate for")
    out("    #   overdue reviews cleared by that team, not for every review (DfE 2022 gives about 2.9% of ~17,400")
    out("    #   reviews: %d endings other than age 25 and moves away)." % (leaving + anywhere))
    # the allocation the base uses (scenarios/base.yaml annual_review.cease_probability): needs met and deceased
    # at every age; leaving education and 'other' at 16-25, shared between the transfers at 16 and 19, NEET and
    # the reviews of the two bands (that split is a fit to the January 2023 16-19 and 20-25 bands)
    every_age = reason["needs_met"] + reason["deceased"]
    young = leaving + reason["other"] + reason["not_rec"]
    neet22 = map_old_estab(est_cl, "2022", "Total_ehc", "sen2_estab_caseload 2022")[0]["neet_awaiting"]
    out("    endings_allocation:   # as used in scenarios/base.yaml")
    out("      needs_met_and_deceased_rate_per_year_all_ages: %s   # (%d + %d) / %d plans"
        % (pct4(every_age, total["2022"]), reason["needs_met"], reason["deceased"], total["2022"]))
    out("      leaving_and_other_rate_per_year_16_25: %s   # (%d leaving + %d other + %d not recorded) / %d plans"
        " aged 16-25" % (pct4(young, post16), leaving, reason["other"], reason["not_rec"], post16))
    out("      no_engage_per_neet_awaiting_plan: %s   # %d no longer engaging / %d plans NEET or awaiting provision"
        % (pct4(reason["no_engage"], neet22), reason["no_engage"], neet22))
    neet_only = sum(num(r["Total_ehc"]) for r in est_cl if is_kent(r) and r["time_period"] == "2022"
                    and r["establishment_type"] == "NEET")
    out("      # (January 2022, %s, mapped as in the setting mapping; NEET alone: %d)"
        % (src(OLD, "sen2_estab_caseload.csv"), neet_only))
    out("  # 2019-2021 (old collection, series break): DisleftEHC = left school at or after the end of compulsory")
    out("  #   schooling; rate per plan aged 16-25 in January:")
    for y in ("2019", "2020", "2021"):
        mr = one([r for r in mi if is_kent(r)], time_period=y)
        left = num(mr["DisleftEHC"])
        p16 = stock[y]["age_16_19"] + stock[y]["age_20_25"]
        out("  left_education_%s: {ceased: %d, plans_16_25: %d, rate: %s}" % (y, left, p16, pct4(left, p16)))

    # f2. plans transferring in: what closes DfE's stock-and-flow arithmetic -------------------------------
    out("  transfers_in:   # residual = Jan caseload(t+1) - Jan caseload(t) - new plans(t) + ended plans(t)")
    out("    # new plans: %s NewallEHC (2019-2021), %s assess_issued (2022); ended: DisleaEHC + DismetEHC +"
        % (src(OLD, "sen2_mi.csv"), src(NEW, "assessments.csv")))
    out("    # DisleftEHC + DisothEHC (2019-2021), total_ceased (2022). New plans count only plans this council made,")
    out("    # so plans arriving from other councils are in the residual (with any counting differences).")
    ass = read(NEW, "assessments.csv")
    res_sum, stock_sum = 0, 0
    for i, y in enumerate(years):
        nxt = str(int(y) + 1)
        if y == "2022":
            new = num(one([r for r in ass if is_kent(r)], time_period=y)["assess_issued"])
            ended = num(cr["total_ceased"])
        else:
            mr = one([r for r in mi if is_kent(r)], time_period=y)
            new = num(mr["NewallEHC"])
            ended = sum(num(mr[c]) for c in ("DisleaEHC", "DismetEHC", "DisleftEHC", "DisothEHC"))
        resid = total[nxt] - total[y] - new + ended
        res_sum += resid
        stock_sum += total[y]
        out("    %s: {jan: %d, new: %d, ended: %d, next_jan: %d, residual: %+d, per_plan: %s}"
            % (y, total[y], new, ended, total[nxt], resid, "%.4f" % (resid / total[y])))
    out("    rate_per_plan_year_2019_2022: %s   # sum of residuals %+d / sum of January caseloads %d"
        % ("%.4f" % (res_sum / stock_sum), res_sum, stock_sum))
    out("    # 2019-2021 alone give about 0.9% a year; 2022 is negative (the January 2023 census is the first of the")
    out("    # person-level collection). Transfers out were 241 in 2022 (1.4%): plans arriving are of the same order.")

    # f3. educated elsewhere, NEET and awaiting provision --------------------------------------------------
    out("  educated_elsewhere_neet_awaiting:   # settings eotas + neet_awaiting as mapped in the setting mapping")
    out("    # stocks: %s (January 2019-2022), %s 202223 (January 2023); new plans placed there: %s"
        % (src(OLD, "sen2_estab_caseload.csv"), src(NEW, "caseload.csv"), src(OLD, "sen2_estab_new_plans.csv")))
    out("    # (2019-2021), %s (2022). Rule: net flow from existing plans into these settings >= change in stock -"
        % src(NEW, "newplans.csv"))
    out("    # new plans placed there (a lower bound: anyone leaving them, e.g. to a school or by ending, adds to it).")
    grp = ("eotas", "neet_awaiting")
    st = {}
    for y in years:
        by, _, _ = map_old_estab(est_cl, y, "Total_ehc", "sen2_estab_caseload %s" % y)
        st[y] = by
    r23 = one([r for r in cl_new if is_kent(r)], time_period="202223", breakdown="All EHC plans")
    st["2023"], _ = map_new_row(r23, "caseload 202223")
    newp = {}
    for y in ("2019", "2020", "2021"):
        by, _, _ = map_old_estab(est_np, y, "Total_new_ehc", "sen2_estab_new_plans %s" % y)
        newp[y] = by
    r22 = one([r for r in np_new if is_kent(r)], time_period="2022", breakdown="New EHC plans")
    newp["2022"], _ = map_new_row(r22, "newplans 2022")
    for y in sorted(st):
        out("    stock_jan%s: {eotas: %d, neet_awaiting: %d, total: %d}" % (y, st[y]["eotas"], st[y]["neet_awaiting"],
                                                                         st[y]["eotas"] + st[y]["neet_awaiting"]))
    flows = {}
    for y in years:
        nxt = str(int(y) + 1)
        d = sum(st[nxt][g] for g in grp) - sum(st[y][g] for g in grp)
        placed = sum(newp[y][g] for g in grp)
        in_school = sum(st[y][g] for g in ("mainstream", "srp", "special", "independent", "post16"))
        flows[y] = (d, placed, d - placed, in_school)
        out("    %s: {change: %+d, new_plans_placed_there: %d, net_inflow_from_existing_plans_at_least: %+d, "
            "per_plan_in_a_school_or_college: %s}" % (y, d, placed, d - placed, "%.4f" % ((d - placed) / in_school)))
    lb = sum(f[2] for f in flows.values())
    base_ = sum(f[3] for f in flows.values())
    out("    net_flow_of_existing_plans_2019_2022: %+d   # in minus out (endings included): about zero, so the"
        % lb)
    out("    #   data identify no net flow; new placements alone (%d) explain the growth from %d to %d."
        % (sum(f[1] for f in flows.values()), sum(st["2019"][g] for g in grp), sum(st["2023"][g] for g in grp)))
    stock22 = sum(st["2022"][g] for g in grp)
    in_school22 = flows["2022"][3]
    gross = reason["no_engage"] + lb / 4
    out("    # Gross flows: the %d plans ended in 2022 because the young person 'no longer wishes to engage' most"
        % reason["no_engage"])
    out("    #   plausibly end from NEET or awaiting provision. If so, existing plans must flow in at about")
    out("    gross_inflow_per_year: %.0f   # no_engage endings %d + mean net flow %+.0f a year" % (gross, reason["no_engage"],
                                                                                              lb / 4))
    out("    gross_inflow_rate_per_plan_in_a_school_or_college: %s   # / %d plans in schools and colleges, January 2022"
        % ("%.4f" % (gross / in_school22), in_school22))
    out("    outflow_by_ending_rate_per_plan_there: %s   # %d / %d plans in eotas + neet_awaiting, January 2022"
        % ("%.4f" % (reason["no_engage"] / stock22), reason["no_engage"], stock22))

    # f4. the under-5 band's turnover ---------------------------------------------------------------------
    out("  under_5_band:   # exits(t) = Jan stock(t) + new under-5 plans(t) - Jan stock(t+1): ageing out each")
    out("    # September (Reception -> Year 1) and endings. New plans: %s Total_new_ehc 'Under 5' (2019-2021);"
        % src(OLD, "sen2_age_new_plans.csv"))
    out("    # %s 'Age when plan started' ages 3 and 4 (2022: age at start, not academic age, so a lower figure)."
        % src(NEW, "newplans.csv"))
    new_u5 = {}
    for y in ("2019", "2020", "2021"):
        kr = [r for r in age_np if is_kent(r) and r["time_period"] == y]
        new_u5[y] = num(one(kr, characteristic_age="Under 5")["Total_new_ehc"])
    kr = [r for r in np_new if is_kent(r) and r["time_period"] == "2022" and r["breakdown_topic"] == "Age when plan started"]
    new_u5["2022"] = sum(num(r["new_ehc_plans"]) for r in kr if r["breakdown"] in ("age 0", "age 1", "age 2", "age 3", "age 4"))
    for y in years:
        nxt = str(int(y) + 1)
        a, n, b = stock[y]["under_5"], new_u5[y], stock[nxt]["under_5"]
        out("    %s: {jan: %d, new: %d, next_jan: %d, exits: %d, exits_per_jan_plan: %s, next_jan_per_new_plan: %s}"
            % (y, a, n, b, a + n - b, pct4(a + n - b, a), pct4(b, n)))
    out("    # 2019-2021: about 90% of January's under-5 plans leave the band within the year (nearly all by ageing")
    out("    # into Year 1), and the next January holds about 1.1 plans per new under-5 plan of the year: the band's")
    out("    # level follows the year's new under-5 plans, so it should grow with under-5 demand, never halve.")

    # f5. the age bands' trend ------------------------------------------------------------------------------
    out("  age_band_trend:   # yearly growth of each band's January caseload (the structural-stability test's yardstick)")
    ys = sorted(stock)
    for b in bands:
        g = ["%s: %+.3f" % (ys[i + 1], stock[ys[i + 1]][b] / stock[ys[i]][b] - 1) for i in range(len(ys) - 1)]
        cagr = (stock["2023"][b] / stock["2019"][b]) ** 0.25 - 1
        out("    %s: {%s, mean_2019_2023: %+.3f}" % (b, ", ".join(g), cagr))

    # f6. open assessment cases by Little's law -------------------------------------------------------------
    r22q = num(one([r for r in req if is_kent(r)], time_period="2022")["requests_received_in_year"])
    r22 = one([r for r in req if is_kent(r)], time_period="2022")
    to_assess = r22q - num(r22["requests_decided_not_to_assess"])
    ar = one([r for r in read(NEW, "assessments.csv") if is_kent(r)], time_period="2022")
    a22 = num(ar["assess_issued"]) + num(ar["assess_not_issued"])
    deciding = r22q * 6 / 52
    out("  open_cases:   # Little's law: open cases = arrivals a year x mean weeks open / 52")
    out("    requests_2022: %d   # %s requests_received_in_year" % (r22q, src(NEW, "requests.csv")))
    out("    report_open_cases_may2023: %d   # Report, condition 3: 'almost 2,100 open cases', highest in three years"
        % REPORT_OPEN_CASES_MAY2023)
    out("    implied_mean_weeks_open: %.1f   # %d x 52 / %d: from request to outcome (decision, queue, assessment)"
        % (REPORT_OPEN_CASES_MAY2023 * 52 / r22q, REPORT_OPEN_CASES_MAY2023, r22q))
    out("    awaiting_decision: %.0f   # %d requests x 6 statutory weeks / 52" % (deciding, r22q))
    out("    assessments_2022: %d   # %s assess_issued + assess_not_issued (%d decided to assess, appeals add a few)"
        % (a22, src(NEW, "assessments.csv"), to_assess))
    weeks_open = (REPORT_OPEN_CASES_MAY2023 - deciding) * 52 / a22
    out("    implied_weeks_decision_to_outcome: %.1f   # (%d - %.0f) x 52 / %d: base.yaml weeks_to_assess 30 (fit)"
        % (weeks_open, REPORT_OPEN_CASES_MAY2023, deciding, a22))
    out("    # With a mean of 30 weeks, 40.9% of 2022's plans within 20 weeks (DfE) needs most assessments quick and a")
    out("    # long tail (gamma, cv 1.1: 40.8% within 14 weeks of the decision): base.yaml weeks_to_assess_cv (fit).")
    out("    start_open_assessments: %.0f   # %d x 31 weeks (30 + about a week's queue) / 52: base.yaml 1,600"
        % (a22 * 31 / 52, a22))
    # f7. assessment capacity as a dated path ----------------------------------------------------------------
    held = 13.88  # E[min(assessment, 20 weeks)] for a gamma of mean 30 weeks and cv 1.1 (numerical integral)
    out("  assessment_capacity_path:   # assessments a year the officers can finish = posts x (1 - vacancy) x")
    out("    # assessments each x 52 / weeks each holds a place; base.yaml: 80 posts, 11 each (assumptions), a place")
    out("    # held for at most 20 weeks of an assessment of 30 weeks' mean (cv 1.1): %.2f weeks on average" % held)
    out("    decided_to_assess_2022: %d   # %s requests_received_in_year - requests_decided_not_to_assess"
        % (to_assess, src(NEW, "requests.csv")))
    out("    #   (requests_decided_to_assess is 'x' for Kent); the arrivals to assessment, appeals won add a few")
    arrivals_2023 = r22q * 1.05 * (1 - 0.33)
    out("    by_period:")
    for label, vacancy in (("2022 (vacancies 15%, assumption)", 0.15), ("from April 2023 (25%, Report)", 0.25),
                           ("with sen-recruitment (10%, assumption)", 0.10)):
        cap = 80 * (1 - vacancy) * 11 * 52 / held
        out("      - {period: '%s', assessments_a_year: %.0f, minus_2023_arrivals: %+.0f}" % (label, cap, cap - arrivals_2023))
    out("    # 2023 arrivals ~%.0f = 2022 requests x 1.05 (demand growth) x (1 - 0.33 refused, statutory-decisions)."
        % arrivals_2023)
    out("    # A surge of n officers (assessment.surge_officers_fte) adds n x 11 places: n x 11 x 52 / %.2f = %.0f n"
        % (held, 11 * 52 / held))
    out("    # assessments a year while a queue feeds them.")
    # f8. the age requests are drawn at ------------------------------------------------------------------------
    kr = [r for r in np_new if is_kent(r) and r["time_period"] == "2022" and r["breakdown_topic"] == "Age when plan started"]
    at_start = {}
    for r in kr:
        a = 20 if r["breakdown"] == "age 20 and over" else int(r["breakdown"].split()[1])
        at_start[a] = at_start.get(a, 0) + num(r["new_ehc_plans"])
    after_birthday = Fraction(9, 10)
    academic = {}
    for a, n in at_start.items():
        academic[a - 1] = academic.get(a - 1, 0) + n * after_birthday
        academic[a] = academic.get(a, 0) + n * (1 - after_birthday)
    total = sum(academic.values())
    out("  request_age_shares_at_plan:   # base.yaml demand.request_age_shares (request_age_shares_at: plan)")
    out("    # %s 'Age when plan started' is the age on the start date; the model's ages are academic ages (on the"
        % src(NEW, "newplans.csv"))
    out("    # 31 August before). A plan at age a is at academic age a - 1 if the child's birthday has passed that")
    out("    # academic year: half of them for plans spread evenly over the year. Set to 9 in 10 (a fit, README fit")
    out("    # table): with one half the model holds only about 0.65 of January's under-5 plans per plan issued the")
    out("    # year before (the band falls to about 500), with 9 in 10 about 0.9-1.0, as 2019-2023 (676 in January")
    out("    # 2023); plans for the under-5s cluster late in the year, before school entry. 'age 20 and over' at 20.")
    out("    academic_age_at_plan: {%s}" % ", ".join("%d: %.1f" % (a, float(academic[a])) for a in sorted(academic)))
    out("    shares: {%s}" % ", ".join("%d: %.5f" % (a, float(academic[a] / total)) for a in sorted(academic)))
    # f9. single years of age in the 20-25 band: its cohort flow ----------------------------------------------
    out("  age_20_25_cohort_flow:   # base.yaml start_state.age_profile 20-25 (docs/dynamics.md, item 7)")
    out("    # The band grew from nothing after the 2014 reforms (plans to 25): %s Total_ehc 'Age 20 to 25'."
        % src(OLD, "sen2_age_caseload.csv"))
    out("    # Each January's 20-year-olds x(Y) = band(Y) - s x (band(Y-1) less its 25-year-olds): the 20-24s kept at a")
    out("    # yearly retention s (endings, moving away); 25-year-olds leave the next September. s is set so that the")
    out("    # January 2022 band holds 185 aged 25: 177 plans ceased at the maximum age in 2022 (%s), plus those"
        % src(NEW, "ceased_plans.csv"))
    out("    # leaving for other reasons before September (assumption: about 8 more).")
    band = {}
    for y in range(2015, 2023):
        kr = [r for r in age_cl if is_kent(r) and r["time_period"] == str(y)]
        band[y] = n0(one(kr, characteristic_age="Age 20 to 25")["Total_ehc"])

    def flow_ages(s):
        ages = [0.0] * 6
        entrants = {}
        for y in range(2016, 2023):
            kept = [a * s for a in ages[:5]]
            entrants[y] = band[y] - sum(kept)
            ages = [entrants[y], *kept]
        return ages, entrants

    lo, hi = 0.5, 1.0
    for _ in range(60):  # bisection: the age-25 group rises with s
        mid = (lo + hi) / 2
        if flow_ages(mid)[0][5] < 185:
            lo = mid
        else:
            hi = mid
    s = (lo + hi) / 2
    ages, entrants = flow_ages(s)
    out("    band_jan: {%s}" % ", ".join("%d: %d" % (y, band[y]) for y in sorted(band)))
    out("    retention_a_year: %.4f" % s)
    out("    entrants_at_20: {%s}   # from 2017 some came older (learning difficulty assessments converted to plans)"
        % ", ".join("%d: %.0f" % (y, v) for y, v in sorted(entrants.items())))
    out("    jan_2022_ages_20_25: [%s]" % ", ".join("%.0f" % a for a in ages))
    out("    age_profile_weights: {%s}" % ", ".join("%d: %.3f" % (20 + k, a / band[2022]) for k, a in enumerate(ages)))
    jan23 = REPORT_JAN2023_BY_BAND["age_20_25"]
    out("    entrants_implied_jan_2023: %.0f   # %d - s x (%d - %.0f): the January 2023 band (Report, DfE), for reading only"
        % (jan23 - s * (band[2022] - ages[5]), jan23, band[2022], ages[5]))


if __name__ == "__main__":
    main()
