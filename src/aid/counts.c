/* counts.c - counts, targets, the daily view, reconciliation, progress and dwell; see
 * counts.h. */
#include "aid/counts.h"

#include "core/util.h"
#include "monitor/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* truce's own bases and the truck state each counts moves into. */
static const struct {
    const char *basis, *state;
} own_bases[] = {
    {"trucks_dispatched", "dispatched"},   {"trucks_entered", "offloaded"},
    {"trucks_collected", "collected"},     {"trucks_arrived", "arrived"},
    {"trucks_distributed", "distributed"},
};
#define N_OWN (sizeof own_bases / sizeof own_bases[0])

static const char *own_state(const char *basis)
{
    for (size_t i = 0; i < N_OWN; i++)
        if (strcmp(own_bases[i].basis, basis) == 0) return own_bases[i].state;
    return NULL;
}

static const char *own_basis(const char *state)
{
    for (size_t i = 0; i < N_OWN; i++)
        if (strcmp(own_bases[i].state, state) == 0) return own_bases[i].basis;
    return NULL;
}

json_t *aid_number(double v)
{
    if (v == floor(v) && fabs(v) < 9e15) return json_integer((json_int_t)v);
    return json_real(v);
}

/* obj[key] += v */
static void add_to(json_t *obj, const char *key, double v)
{
    json_t *old = json_object_get(obj, key);
    json_object_set_new(obj, key, aid_number((old ? json_number_value(old) : 0) + v));
}

int aid_is_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* 400 naming field unless value is a name (aid_is_name). */
static int check_name(const char *field, const char *value, tr_err *e)
{
    if (aid_is_name(value)) return 0;
    return err_field(e, "request.invalid_field", field,
                     "lowercase letters, digits, '_' and '-', e.g. trucks_entered or un2720",
                     "'%s' is not a name of a source or a basis", value);
}

static int bad_date(tr_err *e, const char *field, const char *value)
{
    return err_field(e, "request.invalid_field", field, "a date as YYYY-MM-DD",
                     "'%s' is not a date", value);
}

/* ---- counts ----------------------------------------------------------------------- */

const jsx_field count_fields[] = {
    {.name = "date", .type = JSX_STRING, .min = 10, .max = 10},
    {.name = "source", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "basis", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "crossing", .type = JSX_SLUG, .flags = JSX_OPTIONAL},
    {.name = "category", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = aid_categories},
    {.name = "value", .type = JSX_NUMBER, .min = 0, .max = 1e12},
    {0},
};

int aid_count_record(store *s, const journal_actor *who, const json_t *in, int *changed, tr_err *e)
{
    store_aid_count c = {0}, old;
    const char *crossing = jsx_str(in, "crossing", "");
    int rc;
    *changed = 0;
    snprintf(c.day, sizeof c.day, "%s", jsx_str(in, "date", ""));
    snprintf(c.source, sizeof c.source, "%s", jsx_str(in, "source", ""));
    snprintf(c.basis, sizeof c.basis, "%s", jsx_str(in, "basis", ""));
    snprintf(c.crossing, sizeof c.crossing, "%s", crossing);
    snprintf(c.category, sizeof c.category, "%s", jsx_str(in, "category", ""));
    c.value = jsx_num(in, "value", 0);
    if (!util_is_date(c.day)) return bad_date(e, "date", jsx_str(in, "date", ""));
    if (check_name("source", c.source, e) || check_name("basis", c.basis, e)) return -1;
    if (strcmp(c.source, "truce") == 0)
        return err_field(e, "request.invalid_field", "source",
                         "name the organization or publication the count comes from",
                         "'truce' is truce's own count of the truckloads it follows");
    if (crossing[0]) {
        store_crossing x;
        rc = aid_store(s)->crossing_get(s, crossing, &x, e);
        if (rc < 0) return -1;
        if (rc == 0)
            return err_field(e, "request.invalid_field", "crossing",
                             "list crossings with GET /api/v1/crossings", "no crossing '%s'",
                             crossing);
    }
    rc = aid_store(s)->count_get(s, &c, &old, e);
    if (rc < 0) return -1;
    if (rc == 1 && old.value == c.value) return 0;
    json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "date", c.day, "source", c.source, "basis",
                             c.basis, "value", aid_number(c.value));
    if (c.crossing[0]) json_object_set_new(body, "crossing", json_string(c.crossing));
    if (c.category[0]) json_object_set_new(body, "category", json_string(c.category));
    if (rc == 1) json_object_set_new(body, "replaces", aid_number(old.value));
    rc = journal_record(s, who, "aid.count_recorded", body, "public", NULL, e);
    json_decref(body);
    *changed = rc == 0;
    return rc;
}

json_t *aid_count_json(const store_aid_count *c)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "date", c->day, "source", c->source, "basis",
                     c->basis, "crossing", c->crossing[0] ? json_string(c->crossing) : json_null(),
                     "category", c->category[0] ? json_string(c->category) : json_null(), "value",
                     aid_number(c->value));
}

/* ---- targets ---------------------------------------------------------------------- */

static const char *const pers[] = {"day", "total", NULL};
static const jsx_field slug_item[] = {{.name = "", .type = JSX_SLUG}, {0}};

const jsx_field target_fields[] = {
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "per", .type = JSX_STRING, .oneof = pers},
    {.name = "value", .type = JSX_NUMBER, .min = 0, .max = 1e12},
    {.name = "basis", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "source", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "category", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = aid_categories},
    {.name = "destinations",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 32,
     .items = slug_item},
    {.name = "from", .type = JSX_STRING, .min = 10, .max = 10},
    {.name = "to", .type = JSX_STRING, .min = 10, .max = 10},
    {0},
};

int aid_target_set(store *s, const journal_actor *who, const json_t *in, int64_t *id, tr_err *e)
{
    const char *from = jsx_str(in, "from", ""), *to = jsx_str(in, "to", "");
    const char *source = jsx_str(in, "source", ""), *basis = jsx_str(in, "basis", "");
    const json_t *dest = json_object_get(in, "destinations");
    if (check_name("source", source, e) || check_name("basis", basis, e)) return -1;
    if (!util_is_date(from)) return bad_date(e, "from", from);
    if (!util_is_date(to)) return bad_date(e, "to", to);
    if (strcmp(to, from) < 0)
        return err_field(e, "request.invalid_field", "to",
                         "the target's last day, on or after from", "%s is before %s", to, from);
    if (util_day_number(to) - util_day_number(from) >= AID_MAX_DAYS)
        return err_field(e, "request.invalid_field", "to", "a period of at most ten years",
                         "%s to %s is too long", from, to);
    if (!(jsx_num(in, "value", 0) > 0))
        return err_field(e, "request.invalid_field", "value", "a quantity above zero",
                         "a target of nothing is always met");
    if (strcmp(source, "truce") == 0 && !own_state(basis))
        return err_field(e, "request.invalid_field", "basis",
                         "truce counts trucks_dispatched, trucks_entered, trucks_collected, "
                         "trucks_arrived or trucks_distributed",
                         "truce keeps no count of '%s'", basis);
    if (dest && strcmp(source, "truce") != 0)
        return err_field(e, "request.invalid_field", "destinations",
                         "only truce's own truckload records (source \"truce\") know where "
                         "trucks went",
                         "counts from '%s' say nothing of destinations", source);
    for (size_t i = 0; i < json_array_size(dest); i++) {
        const char *z = json_string_value(json_array_get(dest, i));
        int rc = monitor_store(s)->zone_exists(s, z, e);
        if (rc < 0) return -1;
        if (rc == 0) {
            char field[48];
            snprintf(field, sizeof field, "destinations[%zu]", i);
            return err_field(e, "request.invalid_field", field,
                             "a zone of the deployment: GET /api/v1/zones", "no zone '%s'", z);
        }
    }
    json_t *body = json_deep_copy(in);
    json_object_set_new(body, "value", aid_number(jsx_num(in, "value", 0)));
    int rc = journal_record(s, who, "aid.target_set", body, "public", id, e);
    json_decref(body);
    return rc;
}

int aid_target_find(store *s, int64_t id, store_target *out, tr_err *e)
{
    int rc = aid_store(s)->target_get(s, id, out, e);
    if (rc == 0)
        err_set(e, 404, "aid.target_not_found", "list targets with GET /api/v1/aid/targets",
                "no target %lld", (long long)id);
    return rc == 1 ? 0 : -1;
}

json_t *aid_target_json(const store_target *t)
{
    json_t *d = t->destinations[0] ? json_loads(t->destinations, 0, NULL) : NULL;
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:s, s:s, s:o}", "id",
                     (json_int_t)t->id, "name", t->name, "per", t->per, "value",
                     aid_number(t->value), "basis", t->basis, "source", t->source, "category",
                     t->category[0] ? json_string(t->category) : json_null(), "destinations",
                     d ? d : json_null(), "from", t->from_day, "to", t->to_day, "created_by",
                     t->created_by[0] ? json_string(t->created_by) : json_null());
}

/* ---- series ----------------------------------------------------------------------- */

/* Per-day values from..to, indexed by day - first. */
typedef struct series {
    int64_t first;
    int64_t n;
    double *v;
    /* what to take */
    const char *source, *state;
    json_t *destinations; /* NULL any */
} series;

static int64_t day_index(const series *x, const char *day)
{
    int64_t i = util_day_number(day) - x->first;
    return i >= 0 && i < x->n ? i : -1;
}

static int series_count_cb(void *cls, const void *row)
{
    series *x = cls;
    const store_aid_count *c = row;
    int64_t i = day_index(x, c->day);
    if (i >= 0 && strcmp(c->source, x->source) == 0) x->v[i] += c->value;
    return 0;
}

static int in_list(const json_t *list, const char *s)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_array_get(list, i)), s) == 0) return 1;
    return 0;
}

static int series_truck_cb(void *cls, const void *row)
{
    series *x = cls;
    const store_truck_day *d = row;
    int64_t i = day_index(x, d->day);
    if (i >= 0 && strcmp(d->state, x->state) == 0 &&
        (!x->destinations || in_list(x->destinations, d->destination)))
        x->v[i] += (double)d->n;
    return 0;
}

/* A target's actual values for the days from..to (x->v: to - from + 1 of them). */
static int target_series(store *s, const store_target *t, const char *from, const char *to,
                         series *x, tr_err *e)
{
    int rc;
    x->first = util_day_number(from);
    x->n = util_day_number(to) - x->first + 1;
    x->v = calloc((size_t)(x->n > 0 ? x->n : 1), sizeof *x->v);
    x->source = t->source;
    x->state = own_state(t->basis);
    x->destinations = t->destinations[0] ? json_loads(t->destinations, 0, NULL) : NULL;
    if (x->n <= 0) return 0;
    if (strcmp(t->source, "truce") == 0)
        rc = aid_store(s)->truck_day_scan(s, from, to, "", t->category, series_truck_cb, x, e);
    else
        rc =
            aid_store(s)->count_scan(s, from, to, t->basis, "", t->category, series_count_cb, x, e);
    return rc;
}

static void series_free(series *x)
{
    free(x->v);
    json_decref(x->destinations);
}

/* ---- the daily view --------------------------------------------------------------- */

typedef struct day_view {
    int64_t first, n;
    json_t **days; /* each {"date", "counts", "truckloads", "targets"} */
} day_view;

static json_t *view_day(day_view *v, const char *day, const char *member)
{
    int64_t i = util_day_number(day) - v->first;
    return i >= 0 && i < v->n ? json_object_get(v->days[i], member) : NULL;
}

static int daily_count_cb(void *cls, const void *row)
{
    const store_aid_count *c = row;
    json_t *counts = view_day(cls, c->day, "counts");
    char key[2 * STORE_SLUG_MAX + 2];
    if (!counts) return 0;
    snprintf(key, sizeof key, "%s/%s", c->source, c->basis);
    add_to(counts, key, c->value);
    return 0;
}

static int daily_truck_cb(void *cls, const void *row)
{
    const store_truck_day *d = row;
    json_t *trucks = view_day(cls, d->day, "truckloads");
    const char *basis = own_basis(d->state);
    char key[64];
    if (!trucks) return 0;
    add_to(trucks, d->state, (double)d->n);
    if (basis) {
        snprintf(key, sizeof key, "truce/%s", basis);
        add_to(view_day(cls, d->day, "counts"), key, (double)d->n);
    }
    return 0;
}

typedef struct target_list {
    store_target *t;
    size_t n, cap;
} target_list;

static int target_collect(void *cls, const void *row)
{
    target_list *l = cls;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->t = realloc(l->t, l->cap * sizeof *l->t);
    }
    l->t[l->n++] = *(const store_target *)row;
    return 0;
}

/* Each target's value and actual on the view's days it covers. */
static int daily_targets(store *s, day_view *v, const char *from, const char *to, tr_err *e)
{
    target_list l = {0};
    int rc = aid_store(s)->target_scan(s, target_collect, &l, e);
    for (size_t k = 0; rc == 0 && k < l.n; k++) {
        const store_target *t = &l.t[k];
        int total = strcmp(t->per, "total") == 0;
        if (strcmp(t->to_day, from) < 0 || strcmp(t->from_day, to) > 0) continue;
        /* A total counts from its first day; a daily target only the view's days. */
        const char *a = total || strcmp(t->from_day, from) > 0 ? t->from_day : from;
        const char *b = strcmp(t->to_day, to) < 0 ? t->to_day : to;
        series x;
        double sum = 0;
        if ((rc = target_series(s, t, a, b, &x, e)) == 0)
            for (int64_t i = 0; i < x.n; i++) {
                char day[11];
                sum += x.v[i];
                util_day_of_number(x.first + i, day);
                json_t *list = view_day(v, day, "targets");
                if (!list) continue;
                double actual = total ? sum : x.v[i];
                json_array_append_new(
                    list, json_pack("{s:I, s:s, s:s, s:o, s:o, s:b}", "id", (json_int_t)t->id,
                                    "name", t->name, "per", t->per, "value", aid_number(t->value),
                                    "actual", aid_number(actual), "met", actual >= t->value));
            }
        series_free(&x);
    }
    free(l.t);
    return rc;
}

json_t *aid_daily(store *s, const char *from, const char *to, const char *crossing,
                  const char *category, tr_err *e)
{
    day_view v = {.first = util_day_number(from)};
    json_t *out = json_array();
    v.n = util_day_number(to) - v.first + 1;
    v.days = calloc((size_t)v.n, sizeof *v.days);
    for (int64_t i = 0; i < v.n; i++) {
        char day[11];
        util_day_of_number(v.first + i, day);
        v.days[i] =
            json_pack("{s:s, s:{}, s:{}, s:[]}", "date", day, "counts", "truckloads", "targets");
        json_array_append_new(out, v.days[i]);
    }
    if (aid_store(s)->count_scan(s, from, to, "", crossing, category, daily_count_cb, &v, e) ||
        aid_store(s)->truck_day_scan(s, from, to, crossing, category, daily_truck_cb, &v, e) ||
        (!crossing[0] && daily_targets(s, &v, from, to, e))) {
        free(v.days);
        json_decref(out);
        return NULL;
    }
    free(v.days);
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "from", from, "to", to, "crossing",
                     crossing[0] ? json_string(crossing) : json_null(), "category",
                     category[0] ? json_string(category) : json_null(), "days", out);
}

/* ---- reconciliation --------------------------------------------------------------- */

static int recon_count_cb(void *cls, const void *row)
{
    const store_aid_count *c = row;
    json_t *sources = view_day(cls, c->day, "sources");
    if (sources) add_to(sources, c->source, c->value);
    return 0;
}

typedef struct recon_own {
    day_view *v;
    const char *state;
} recon_own;

static int recon_truck_cb(void *cls, const void *row)
{
    recon_own *o = cls;
    const store_truck_day *d = row;
    json_t *sources = view_day(o->v, d->day, "sources");
    if (sources && strcmp(d->state, o->state) == 0) add_to(sources, "truce", (double)d->n);
    return 0;
}

json_t *aid_reconciliation(store *s, const char *from, const char *to, const char *basis,
                           const char *crossing, const char *category, tr_err *e)
{
    day_view v = {.first = util_day_number(from)};
    json_t *out = json_array(), *totals = json_object();
    recon_own own = {&v, own_state(basis)};
    v.n = util_day_number(to) - v.first + 1;
    v.days = calloc((size_t)v.n, sizeof *v.days);
    for (int64_t i = 0; i < v.n; i++) {
        char day[11];
        util_day_of_number(v.first + i, day);
        v.days[i] = json_pack("{s:s, s:{}}", "date", day, "sources");
        json_array_append_new(out, v.days[i]);
    }
    if (aid_store(s)->count_scan(s, from, to, basis, crossing, category, recon_count_cb, &v, e) ||
        (own.state &&
         aid_store(s)->truck_day_scan(s, from, to, crossing, category, recon_truck_cb, &own, e))) {
        free(v.days);
        json_decref(out);
        json_decref(totals);
        return NULL;
    }
    for (int64_t i = 0; i < v.n; i++) {
        json_t *sources = json_object_get(v.days[i], "sources"), *val;
        const char *key;
        double lo = INFINITY, hi = -INFINITY;
        json_object_foreach(sources, key, val)
        {
            double x = json_number_value(val);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            add_to(totals, key, x);
        }
        json_object_set_new(v.days[i], "spread",
                            json_object_size(sources) >= 2 ? aid_number(hi - lo) : json_null());
    }
    free(v.days);
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "from", from, "to", to, "basis", basis, "totals",
                     totals, "days", out);
}

/* ---- progress --------------------------------------------------------------------- */

json_t *aid_progress(store *s, const store_target *t, const char *as_of, tr_err *e)
{
    int total = strcmp(t->per, "total") == 0;
    int64_t first = util_day_number(t->from_day), last = util_day_number(t->to_day);
    int64_t all = last - first + 1, end = util_day_number(as_of);
    char end_day[11];
    series x;
    double sum = 0;
    int64_t met = 0;
    json_t *days = json_array();
    if (end > last) end = last;
    util_day_of_number(end, end_day);
    if (target_series(s, t, t->from_day, end_day, &x, e)) {
        series_free(&x);
        json_decref(days);
        return NULL;
    }
    for (int64_t i = 0; i < x.n; i++) {
        char day[11];
        util_day_of_number(first + i, day);
        sum += x.v[i];
        if (total) {
            json_array_append_new(days,
                                  json_pack("{s:s, s:o, s:o}", "date", day, "actual",
                                            aid_number(x.v[i]), "cumulative", aid_number(sum)));
        } else {
            met += x.v[i] >= t->value;
            json_array_append_new(
                days, json_pack("{s:s, s:o, s:o, s:o, s:b}", "date", day, "actual",
                                aid_number(x.v[i]), "target", aid_number(t->value), "shortfall",
                                aid_number(x.v[i] < t->value ? t->value - x.v[i] : 0), "met",
                                x.v[i] >= t->value));
        }
    }
    int64_t elapsed = x.n > 0 ? x.n : 0, left = all - elapsed;
    /* Owed so far: a daily target's days so far, or a total's even pace to date. */
    double owed = total ? t->value * (double)elapsed / (double)all : t->value * (double)elapsed;
    double whole = total ? t->value : t->value * (double)all;
    double missing = whole - sum > 0 ? whole - sum : 0;
    series_free(&x);
    json_t *out = json_pack(
        "{s:o, s:s, s:I, s:I, s:o, s:o, s:o, s:I, s:o, s:o}", "target", aid_target_json(t), "as_of",
        as_of, "days_elapsed", (json_int_t)elapsed, "days_total", (json_int_t)all, "actual_total",
        aid_number(sum), "cumulative_shortfall", aid_number(owed - sum > 0 ? owed - sum : 0),
        "remaining", aid_number(missing), "days_left", (json_int_t)left, "rate_needed",
        left > 0 ? aid_number(missing / (double)left) : json_null(), "days", days);
    json_object_set_new(out, "days_met", total ? json_null() : json_integer((json_int_t)met));
    return out;
}

/* ---- dwell ------------------------------------------------------------------------ */

static const char *const dwell_names[AID_D_STEPS] = {"clearance",  "queue",      "screening",
                                                     "offloading", "collection", "delivery"};

typedef struct durations {
    int64_t *v;
    size_t n, cap;
} durations;

static int dwell_cb(void *cls, const void *row)
{
    const store_durations *x = row;
    if (x->step < 0 || x->step >= AID_D_STEPS) return 0;
    durations *d = &((durations *)cls)[x->step];
    if (d->n + x->n > d->cap) {
        d->cap = (d->n + x->n) * 2;
        d->v = realloc(d->v, d->cap * sizeof *d->v);
        if (!d->v) abort();
    }
    memcpy(d->v + d->n, x->ms, x->n * sizeof *x->ms);
    d->n += x->n;
    return 0;
}

int64_t aid_select_kth(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t a = v[lo], b = v[mid], c = v[hi];
        int64_t pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int64_t x = v[i];
                v[i] = v[j];
                v[j] = x;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Nearest rank ceil(p n) of d, p = num / den: its 0-based index. */
static size_t rank(size_t n, size_t num, size_t den)
{
    size_t k = (n * num + den - 1) / den;
    return k ? k - 1 : 0;
}

static json_t *hours(int64_t ms)
{
    return aid_number((double)ms / 3600000.0);
}

/* The median, the 90th percentile and the maximum of d into o. Each selection leaves the
 * values above its rank after it, so the next looks only there: n + n/2 + n/10 steps. */
static void percentiles(durations *d, json_t *o)
{
    size_t k50 = rank(d->n, 1, 2), k90 = rank(d->n, 9, 10);
    int64_t p50 = aid_select_kth(d->v, d->n, k50);
    int64_t p90 = aid_select_kth(d->v + k50, d->n - k50, k90 - k50), max = p90;
    for (size_t i = k90; i < d->n; i++)
        max = d->v[i] > max ? d->v[i] : max;
    json_object_set_new(o, "median_hours", hours(p50));
    json_object_set_new(o, "p90_hours", hours(p90));
    json_object_set_new(o, "max_hours", hours(max));
}

json_t *aid_dwell(store *s, const char *from, const char *to, const char *crossing, tr_err *e)
{
    durations d[AID_D_STEPS] = {{0}};
    json_t *steps = json_object();
    int rc = aid_store(s)->dwell_scan(s, from, to, crossing, dwell_cb, d, e);
    for (int i = 0; i < AID_D_STEPS; i++) {
        if (rc == 0) {
            json_t *o = json_pack("{s:I}", "n", (json_int_t)d[i].n);
            if (d[i].n) {
                percentiles(&d[i], o);
            } else {
                json_object_set_new(o, "median_hours", json_null());
                json_object_set_new(o, "p90_hours", json_null());
                json_object_set_new(o, "max_hours", json_null());
            }
            json_object_set_new(steps, dwell_names[i], o);
        }
        free(d[i].v);
    }
    if (rc) {
        json_decref(steps);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o, s:o}", "from", from, "to", to, "crossing",
                     crossing[0] ? json_string(crossing) : json_null(), "steps", steps);
}
