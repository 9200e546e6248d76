/* alerts.c - what needs attention today: obligations breached, due soon, and rates burning
 * their tolerance fast; as JSON and as an Atom feed. See comply.h. */
#include "comply/comply.h"

#include "core/buf.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days short in the last `window` days of a rate's evidence (its days so far). */
static int64_t short_days(const json_t *days, int64_t window)
{
    size_t n = json_array_size(days), from = n > (size_t)window ? n - (size_t)window : 0;
    int64_t k = 0;
    for (size_t i = from; i < n; i++)
        k += json_number_value(json_object_get(json_array_get(days, i), "shortfall")) > 0;
    return k;
}

/* The next due date of a deadline, deliverable or schedule step not yet met, or NULL. */
static const char *next_due(const json_t *o)
{
    const char *kind = jsx_str(o, "kind", "");
    if (!strcmp(kind, "deadline") || !strcmp(kind, "deliverable"))
        return strcmp(jsx_str(o, "state", ""), "active") == 0 ? jsx_str(o, "due", NULL) : NULL;
    if (!strcmp(kind, "schedule")) {
        const json_t *steps = json_object_get(json_object_get(o, "evidence"), "steps");
        for (size_t i = 0; i < json_array_size(steps); i++) {
            const json_t *st = json_array_get(steps, i);
            if (!json_is_true(json_object_get(st, "due")) &&
                !json_is_true(json_object_get(st, "reached")))
                return jsx_str(st, "date", NULL);
        }
    }
    return NULL;
}

typedef struct collect {
    store *s;
    const char *as_of;
    int64_t within;
    json_t *alerts;
    tr_err *e;
    int failed;
} collect;

static json_t *alert(const json_t *o, const char *kind, const char *message)
{
    return json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:s}", "kind", kind, "obligation",
                     json_object_get(o, "id"), "agreement", json_object_get(o, "agreement"), "ref",
                     json_object_get(o, "ref"), "party", json_object_get(o, "party"), "title",
                     json_object_get(o, "title"), "state", json_object_get(o, "state"), "message",
                     message);
}

static int alert_cb(void *cls, const void *row)
{
    collect *c = cls;
    store_obligation ob = *(const store_obligation *)row;
    char msg[512];
    ob.spec = strdup(ob.spec);
    json_t *o = ob.spec ? comply_evaluate(c->s, &ob, c->as_of, c->e) : NULL;
    free(ob.spec);
    if (!o) return c->failed = 1;
    const char *state = jsx_str(o, "state", ""), *due = next_due(o);
    int waived = 0;
    for (size_t i = 0; i < json_array_size(json_object_get(o, "overlays")); i++)
        waived |=
            !strcmp(json_string_value(json_array_get(json_object_get(o, "overlays"), i)), "waived");
    if (!waived && !strcmp(state, "breached")) {
        snprintf(msg, sizeof msg, "%s (%s, obligation %s of agreement %lld) is breached",
                 jsx_str(o, "title", ""), jsx_str(o, "party", ""), jsx_str(o, "ref", ""),
                 (long long)json_integer_value(json_object_get(o, "agreement")));
        json_array_append_new(c->alerts, alert(o, "breached", msg));
    }
    if (!waived && due) {
        int64_t left = util_day_number(due) - util_day_number(c->as_of);
        if (left >= 0 && left <= c->within) {
            snprintf(msg, sizeof msg, "%s (%s) is due on %s, in %lld day%s",
                     jsx_str(o, "title", ""), jsx_str(o, "party", ""), due, (long long)left,
                     left == 1 ? "" : "s");
            json_t *a = alert(o, "due_soon", msg);
            json_object_set_new(a, "due", json_string(due));
            json_array_append_new(c->alerts, a);
        }
    }
    /* A rate spending its tolerance: the days short in the last 3 and the last 14 days,
     * against the share of days it may miss (the error-budget burn of SRE practice); alert
     * when the short window burns at least twice as fast and the long one at least as
     * fast as the whole window allows. */
    const json_t *ev = json_object_get(o, "evidence");
    double tolerance = jsx_num(json_object_get(o, "definition"), "tolerance", 0);
    if (!waived && !strcmp(jsx_str(o, "kind", ""), "rate") && !strcmp(state, "active") &&
        tolerance > 0) {
        const json_t *days = json_object_get(ev, "days");
        size_t n = json_array_size(days);
        double s3 = (double)short_days(days, 3) / (double)(n < 3 ? n : 3);
        double s14 = (double)short_days(days, 14) / (double)(n < 14 ? n : 14);
        double burn3 = n ? s3 / tolerance : 0, burn14 = n ? s14 / tolerance : 0;
        if (burn3 >= 2 && burn14 >= 1) {
            snprintf(msg, sizeof msg,
                     "%s (%s) is short on %.0f%% of the last 3 days and %.0f%% of the last 14, "
                     "against %.0f%% allowed",
                     jsx_str(o, "title", ""), jsx_str(o, "party", ""), 100 * s3, 100 * s14,
                     100 * tolerance);
            json_t *a = alert(o, "rate_burn", msg);
            json_object_set_new(a, "burn", json_pack("{s:f, s:f}", "short", burn3, "long", burn14));
            json_array_append_new(c->alerts, a);
        }
    }
    json_decref(o);
    return 0;
}

json_t *comply_alerts(store *s, const char *as_of, int64_t within, tr_err *e)
{
    collect c = {s, as_of, within, json_array(), e, 0};
    if (comply_store(s)->obligation_all(s, alert_cb, &c, e) || c.failed) {
        json_decref(c.alerts);
        return NULL;
    }
    return json_pack("{s:s, s:I, s:o}", "as_of", as_of, "within_days", (json_int_t)within, "alerts",
                     c.alerts);
}

static void xml_text(buf *b, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_append(b, s, 1);
        }
}

int comply_alerts_atom(const json_t *alerts, const char *base, buf *out)
{
    const json_t *a;
    size_t i;
    const char *as_of = jsx_str(alerts, "as_of", "");
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                  "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>truce: alerts</title>\n"
                  "  <id>urn:truce:alerts</id>\n");
    buf_printf(out, "  <updated>%sT00:00:00Z</updated>\n", as_of);
    buf_puts(out, "  <link rel=\"self\" href=\"");
    xml_text(out, base);
    buf_puts(out, "/api/v1/alerts.atom\"/>\n  <author><name>truce</name></author>\n");
    json_array_foreach(alerts ? json_object_get(alerts, "alerts") : NULL, i, a)
    {
        buf_printf(out, "  <entry>\n    <id>urn:truce:alert:%s:%lld:%s</id>\n    <title>",
                   jsx_str(a, "kind", ""),
                   (long long)json_integer_value(json_object_get(a, "obligation")), as_of);
        xml_text(out, jsx_str(a, "message", ""));
        buf_printf(out, "</title>\n    <updated>%sT00:00:00Z</updated>\n", as_of);
        buf_puts(out, "    <link href=\"");
        xml_text(out, base);
        buf_printf(out, "/api/v1/obligations/%lld\"/>\n    <category term=\"%s\"/>\n",
                   (long long)json_integer_value(json_object_get(a, "obligation")),
                   jsx_str(a, "kind", ""));
        buf_puts(out, "    <summary>");
        xml_text(out, jsx_str(a, "message", ""));
        buf_puts(out, "</summary>\n  </entry>\n");
    }
    buf_puts(out, "</feed>\n");
    return 0;
}
