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
    json_t *body =
        aid_count_entry(c.day, c.crossing, c.category, c.value, rc == 1 ? &old.value : NULL);
    json_object_set_new(body, "source", json_string(c.source));
    json_object_set_new(body, "basis", json_string(c.basis));
    rc = journal_record(s, who, "aid.count_recorded", body, "public", NULL, e);
    json_decref(body);
    *changed = rc == 0;
    return rc;
}

json_t *aid_count_entry(const char *day, const char *crossing, const char *category, double value,
                        const double *replaces)
{
    json_t *c = json_pack("{s:s, s:o}", "date", day, "value", aid_number(value));
    if (crossing[0]) json_object_set_new(c, "crossing", json_string(crossing));
    if (category[0]) json_object_set_new(c, "category", json_string(category));
    if (replaces) json_object_set_new(c, "replaces", aid_number(*replaces));
    return c;
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
    int64_t hits;         /* rows that counted */
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
    if (i >= 0 && strcmp(c->source, x->source) == 0) x->v[i] += c->value, x->hits++;
    return 0;
}

static int series_truck_cb(void *cls, const void *row)
{
    series *x = cls;
    const store_truck_day *d = row;
    int64_t i = day_index(x, d->day);
    if (i >= 0 && strcmp(d->state, x->state) == 0 &&
        (!x->destinations || jsx_has(x->destinations, d->destination)))
        x->v[i] += (double)d->n, x->hits++;
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

int aid_values(store *s, const store_target *t, const char *from, const char *to, double *out,
               int64_t *rows, tr_err *e)
{
    series x = {0};
    int rc = target_series(s, t, from, to, &x, e);
    if (rc == 0 && x.n > 0) memcpy(out, x.v, (size_t)x.n * sizeof *out);
    *rows = x.hits;
    series_free(&x);
    return rc;
}

/* ---- the daily view --------------------------------------------------------------- */

/* The states a day's truckloads are counted in, in the order the reply lists them. */
static const char *const day_states[] = {
    "dispatched", "at_crossing",       "screened",   "turned_back", "offloaded",
    "collected",  "collection_denied", "in_transit", "arrived",     "intercepted",
    "lost",       "damaged",           "distributed"};
#define N_DAY_STATES (sizeof day_states / sizeof day_states[0])

static int state_index(const char *state)
{
    for (size_t i = 0; i < N_DAY_STATES; i++)
        if (strcmp(day_states[i], state) == 0) return (int)i;
    return -1;
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
        if (!l->t) abort();
    }
    l->t[l->n++] = *(const store_target *)row;
    return 0;
}

/* One pass over the truckloads' days and one over the counts, from the first day any
 * target shown needs (a total counts from its own first day) to the view's last, adding
 * up the view's days and each target's in plain arrays; the JSON is made at the end. */
typedef struct daily {
    int64_t first, n;       /* the view */
    int64_t scan_first, sn; /* the days scanned */
    const char *crossing, *category;
    int64_t *moves; /* n x N_DAY_STATES */
    struct count_key {
        char source[STORE_SLUG_MAX], basis[STORE_SLUG_MAX];
        double *v; /* n, NAN where the source gave nothing */
    } * keys;
    size_t n_keys;
    target_list tl;
    const char **t_state; /* a truce target's state, else NULL */
    json_t **t_dest;      /* a truce target's destinations, or NULL */
    double **tv;          /* per target: sn values */
} daily;

static int view_matches(const daily *d, const char *crossing, const char *category)
{
    return (!d->crossing[0] || strcmp(d->crossing, crossing) == 0) &&
           (!d->category[0] || strcmp(d->category, category) == 0);
}

static int daily_truck_cb(void *cls, const void *row)
{
    daily *d = cls;
    const store_truck_day *r = row;
    int64_t si = util_day_number(r->day) - d->scan_first, vi = si - (d->first - d->scan_first);
    int st = state_index(r->state);
    if (si < 0 || si >= d->sn) return 0;
    if (vi >= 0 && st >= 0 && view_matches(d, r->crossing, r->category))
        d->moves[vi * (int64_t)N_DAY_STATES + st] += r->n;
    for (size_t k = 0; k < d->tl.n; k++) {
        const store_target *t = &d->tl.t[k];
        if (d->t_state[k] && strcmp(d->t_state[k], r->state) == 0 &&
            (!t->category[0] || strcmp(t->category, r->category) == 0) &&
            (!d->t_dest[k] || jsx_has(d->t_dest[k], r->destination)))
            d->tv[k][si] += (double)r->n;
    }
    return 0;
}

static int daily_count_cb(void *cls, const void *row)
{
    daily *d = cls;
    const store_aid_count *c = row;
    int64_t si = util_day_number(c->day) - d->scan_first, vi = si - (d->first - d->scan_first);
    if (si < 0 || si >= d->sn) return 0;
    if (vi >= 0 && view_matches(d, c->crossing, c->category)) {
        size_t k = 0;
        while (k < d->n_keys &&
               (strcmp(d->keys[k].source, c->source) || strcmp(d->keys[k].basis, c->basis)))
            k++;
        if (k == d->n_keys) {
            d->keys = realloc(d->keys, (d->n_keys + 1) * sizeof *d->keys);
            if (!d->keys) abort();
            snprintf(d->keys[k].source, sizeof d->keys[k].source, "%s", c->source);
            snprintf(d->keys[k].basis, sizeof d->keys[k].basis, "%s", c->basis);
            d->keys[k].v = malloc((size_t)d->n * sizeof(double));
            if (!d->keys[k].v) abort();
            for (int64_t i = 0; i < d->n; i++)
                d->keys[k].v[i] = NAN;
            d->n_keys++;
        }
        double *v = &d->keys[k].v[vi];
        *v = isnan(*v) ? c->value : *v + c->value;
    }
    for (size_t k = 0; k < d->tl.n; k++) {
        const store_target *t = &d->tl.t[k];
        if (!d->t_state[k] && strcmp(t->source, c->source) == 0 &&
            strcmp(t->basis, c->basis) == 0 &&
            (!t->category[0] || strcmp(t->category, c->category) == 0))
            d->tv[k][si] += c->value;
    }
    return 0;
}

/* The JSON of view day i. */
static json_t *daily_day(const daily *d, int64_t i)
{
    char day[11], key[2 * STORE_SLUG_MAX + 2];
    json_t *counts = json_object(), *trucks = json_object(), *targets = json_array();
    const int64_t *m = d->moves + i * (int64_t)N_DAY_STATES;
    util_day_of_number(d->first + i, day);
    for (size_t k = 0; k < d->n_keys; k++)
        if (!isnan(d->keys[k].v[i])) {
            snprintf(key, sizeof key, "%s/%s", d->keys[k].source, d->keys[k].basis);
            json_object_set_new(counts, key, aid_number(d->keys[k].v[i]));
        }
    for (size_t s = 0; s < N_DAY_STATES; s++) {
        if (!m[s]) continue;
        json_object_set_new(trucks, day_states[s], json_integer(m[s]));
        const char *basis = own_basis(day_states[s]);
        if (basis) {
            snprintf(key, sizeof key, "truce/%s", basis);
            json_object_set_new(counts, key, json_integer(m[s]));
        }
    }
    for (size_t k = 0; k < d->tl.n; k++) {
        const store_target *t = &d->tl.t[k];
        int64_t a = util_day_number(t->from_day) - d->scan_first;
        int64_t b = util_day_number(t->to_day) - d->scan_first;
        int64_t si = i + (d->first - d->scan_first);
        if (si < a || si > b) continue;
        double actual = d->tv[k][si];
        if (strcmp(t->per, "total") == 0)
            for (int64_t j = a; j < si; j++)
                actual += d->tv[k][j];
        json_array_append_new(targets, json_pack("{s:I, s:s, s:s, s:o, s:o, s:b}", "id",
                                                 (json_int_t)t->id, "name", t->name, "per", t->per,
                                                 "value", aid_number(t->value), "actual",
                                                 aid_number(actual), "met", actual >= t->value));
    }
    return json_pack("{s:s, s:o, s:o, s:o}", "date", day, "counts", counts, "truckloads", trucks,
                     "targets", targets);
}

static void daily_free(daily *d)
{
    free(d->moves);
    for (size_t k = 0; k < d->n_keys; k++)
        free(d->keys[k].v);
    free(d->keys);
    for (size_t k = 0; k < d->tl.n; k++) {
        free(d->tv[k]);
        json_decref(d->t_dest[k]);
    }
    free(d->tv);
    free(d->t_dest);
    free(d->t_state);
    free(d->tl.t);
}

json_t *aid_daily(store *s, const char *from, const char *to, const char *crossing,
                  const char *category, tr_err *e)
{
    daily d = {.first = util_day_number(from), .crossing = crossing, .category = category};
    char scan_from[11];
    int rc;
    d.n = util_day_number(to) - d.first + 1;
    d.scan_first = d.first;
    /* Targets are shown when no crossing is asked for (they name none): those covering a
     * day of the view; a total from its own first day. */
    if (!crossing[0] && (rc = aid_store(s)->target_scan(s, target_collect, &d.tl, e))) {
        daily_free(&d);
        return NULL;
    }
    size_t kept = 0;
    for (size_t k = 0; k < d.tl.n; k++) {
        const store_target *t = &d.tl.t[k];
        if (strcmp(t->to_day, from) < 0 || strcmp(t->from_day, to) > 0) continue;
        d.tl.t[kept++] = *t;
        int64_t f = util_day_number(t->from_day);
        if (strcmp(t->per, "total") == 0 && f < d.scan_first) d.scan_first = f;
    }
    d.tl.n = kept;
    d.sn = util_day_number(to) - d.scan_first + 1;
    d.moves = calloc((size_t)d.n * N_DAY_STATES, sizeof *d.moves);
    d.t_state = calloc(d.tl.n + 1, sizeof *d.t_state);
    d.t_dest = calloc(d.tl.n + 1, sizeof *d.t_dest);
    d.tv = calloc(d.tl.n + 1, sizeof *d.tv);
    if (!d.moves || !d.t_state || !d.t_dest || !d.tv) abort();
    for (size_t k = 0; k < d.tl.n; k++) {
        const store_target *t = &d.tl.t[k];
        if (strcmp(t->source, "truce") == 0) d.t_state[k] = own_state(t->basis);
        d.t_dest[k] = t->destinations[0] ? json_loads(t->destinations, 0, NULL) : NULL;
        if (!(d.tv[k] = calloc((size_t)d.sn, sizeof *d.tv[k]))) abort();
    }
    util_day_of_number(d.scan_first, scan_from);
    rc = aid_store(s)->truck_day_scan(s, scan_from, to, "", "", daily_truck_cb, &d, e);
    if (rc == 0) rc = aid_store(s)->count_scan(s, scan_from, to, "", "", "", daily_count_cb, &d, e);
    if (rc) {
        daily_free(&d);
        return NULL;
    }
    json_t *days = json_array();
    for (int64_t i = 0; i < d.n; i++)
        json_array_append_new(days, daily_day(&d, i));
    daily_free(&d);
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "from", from, "to", to, "crossing",
                     crossing[0] ? json_string(crossing) : json_null(), "category",
                     category[0] ? json_string(category) : json_null(), "days", days);
}

/* ---- reconciliation --------------------------------------------------------------- */

typedef struct recon {
    int64_t first, n;
    const char *state; /* truce's own state for the basis, or NULL */
    struct recon_source {
        char name[STORE_SLUG_MAX];
        double *v; /* n, NAN where the source gave nothing */
    } * src;
    size_t n_src;
} recon;

static void recon_add(recon *r, const char *day, const char *source, double value)
{
    int64_t i = util_day_number(day) - r->first;
    size_t k = 0;
    if (i < 0 || i >= r->n) return;
    while (k < r->n_src && strcmp(r->src[k].name, source) != 0)
        k++;
    if (k == r->n_src) {
        r->src = realloc(r->src, (r->n_src + 1) * sizeof *r->src);
        if (!r->src) abort();
        snprintf(r->src[k].name, sizeof r->src[k].name, "%s", source);
        if (!(r->src[k].v = malloc((size_t)r->n * sizeof(double)))) abort();
        for (int64_t j = 0; j < r->n; j++)
            r->src[k].v[j] = NAN;
        r->n_src++;
    }
    double *v = &r->src[k].v[i];
    *v = isnan(*v) ? value : *v + value;
}

static int recon_count_cb(void *cls, const void *row)
{
    const store_aid_count *c = row;
    recon_add(cls, c->day, c->source, c->value);
    return 0;
}

static int recon_truck_cb(void *cls, const void *row)
{
    recon *r = cls;
    const store_truck_day *d = row;
    if (strcmp(d->state, r->state) == 0) recon_add(r, d->day, "truce", (double)d->n);
    return 0;
}

json_t *aid_reconciliation(store *s, const char *from, const char *to, const char *basis,
                           const char *crossing, const char *category, tr_err *e)
{
    recon r = {.first = util_day_number(from), .state = own_state(basis)};
    r.n = util_day_number(to) - r.first + 1;
    int rc =
        aid_store(s)->count_scan(s, from, to, basis, crossing, category, recon_count_cb, &r, e);
    if (rc == 0 && r.state)
        rc = aid_store(s)->truck_day_scan(s, from, to, crossing, category, recon_truck_cb, &r, e);
    json_t *days = rc ? NULL : json_array(), *totals = rc ? NULL : json_object();
    for (int64_t i = 0; rc == 0 && i < r.n; i++) {
        char day[11];
        json_t *sources = json_object();
        double lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < r.n_src; k++) {
            double x = r.src[k].v[i];
            if (isnan(x)) continue;
            json_object_set_new(sources, r.src[k].name, aid_number(x));
            add_to(totals, r.src[k].name, x);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        util_day_of_number(r.first + i, day);
        json_array_append_new(
            days, json_pack("{s:s, s:o, s:o}", "date", day, "spread",
                            json_object_size(sources) >= 2 ? aid_number(hi - lo) : json_null(),
                            "sources", sources));
    }
    for (size_t k = 0; k < r.n_src; k++)
        free(r.src[k].v);
    free(r.src);
    if (rc) return NULL;
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "from", from, "to", to, "basis", basis, "totals",
                     totals, "days", days);
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
    if (d->n + x->n > d->cap) { /* counted first: only if written to since */
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
    int64_t counts[AID_D_STEPS];
    /* Counted first, so that each step's array is allocated once at its size: growing it
     * by doubling was half the time over two years (the copies and their page faults). */
    int rc = aid_store(s)->dwell_count(s, from, to, crossing, counts, e);
    for (int i = 0; rc == 0 && i < AID_D_STEPS; i++)
        if ((d[i].cap = (size_t)counts[i]) && !(d[i].v = malloc(d[i].cap * sizeof *d[i].v)))
            abort();
    if (rc == 0) rc = aid_store(s)->dwell_scan(s, from, to, crossing, dwell_cb, d, e);
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
