/* sitrep.c - the daily report: the fortnight's incidents by type and by the party they are
 * attributed to, trucks per day against the target, obligations by state, and the signed
 * checkpoint of the log it was computed from; as JSON and as an HTML page in English, Arabic
 * or Hebrew with SVG charts drawn here (no script, no style sheet, nothing fetched). */
#include "comply/comply.h"

#include "accounts/store.h"
#include "aid/counts.h"
#include "core/buf.h"
#include "core/util.h"
#include "monitor/export.h"
#include "monitor/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS 14

/* ---- the figures ------------------------------------------------------------------- */

typedef struct actors {
    json_t *party_of; /* actor name -> party slug */
    store *s;
    const char *org;
} actors;

static int actor_cb(void *cls, const void *row)
{
    actors *a = cls;
    json_object_set_new(a->party_of, (const char *)row, json_string(a->org));
    return 0;
}

static int org_cb(void *cls, const void *row)
{
    actors *a = cls;
    const store_org *o = row;
    tr_err e = TR_ERR_INIT;
    if (strcmp(o->kind, "party") != 0) return 0;
    a->org = o->slug;
    accounts_store(a->s)->org_actors_list(a->s, o->slug, actor_cb, a, &e);
    err_clear(&e);
    return 0;
}

typedef struct tally {
    int64_t first;
    json_t *days; /* [{date, by_type: {}, by_party: {}, total}] */
    json_t *party_of;
} tally;

static void bump(json_t *obj, const char *key)
{
    json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

static int incident_cb(void *cls, const void *row)
{
    tally *t = cls;
    const store_incident_row *r = row;
    buf tmp = BUF_INIT;
    const char *text = export_incident_doc(r, &tmp);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    buf_free(&tmp);
    if (!doc) return 0;
    int64_t i = util_day_number(jsx_str(doc, "event_date", "0000-00-00")) - t->first;
    json_t *day = i >= 0 && i < DAYS ? json_array_get(t->days, (size_t)i) : NULL;
    if (day) {
        const char *party =
            json_string_value(json_object_get(t->party_of, jsx_str(doc, "actor1", "")));
        bump(json_object_get(day, "by_type"), jsx_str(doc, "event_type", "?"));
        bump(json_object_get(day, "by_party"), party ? party : "unattributed");
        json_object_set_new(day, "total",
                            json_integer(json_integer_value(json_object_get(day, "total")) + 1));
    }
    json_decref(doc);
    return 0;
}

typedef struct agreements_seen {
    json_t *ids;
} agreements_seen;

static int agreement_cb(void *cls, const void *row)
{
    const store_obligation *o = row;
    json_t *ids = cls;
    for (size_t i = 0; i < json_array_size(ids); i++)
        if (json_integer_value(json_array_get(ids, i)) == o->agreement) return 0;
    json_array_append_new(ids, json_integer(o->agreement));
    return 0;
}

json_t *comply_sitrep(store *s, const char *date, tr_err *e)
{
    char from[11];
    tally t = {util_day_number(date) - DAYS + 1, json_array(), json_object()};
    actors a = {t.party_of, s, NULL};
    store_checkpoint ck;
    util_day_of_number(t.first, from);
    /* The checkpoint first: everything after is at least as new as what it signs. */
    int found = s->ops->checkpoint_get(s, -1, &ck, e);
    if (found < 0) goto fail;
    json_t *checkpoint = found ? json_pack("{s:I, s:s, s:s}", "tree_size", (json_int_t)ck.size,
                                           "time", ck.time, "note", ck.note)
                               : json_null();
    for (int64_t i = 0; i < DAYS; i++) {
        char d[11];
        util_day_of_number(t.first + i, d);
        json_array_append_new(t.days, json_pack("{s:s, s:{}, s:{}, s:i}", "date", d, "by_type",
                                                "by_party", "total", 0));
    }
    store_incident_filter f = {.date_from = from, .date_to = date, .public_only = 1};
    json_t *aid = NULL, *agreements = json_array(), *ids = json_array();
    if (accounts_store(s)->org_list(s, org_cb, &a, e) ||
        monitor_store(s)->incident_list(s, &f, 0, INT64_MAX, incident_cb, &t, e) ||
        !(aid = aid_daily(s, from, date, "", "", e)) ||
        comply_store(s)->obligation_all(s, agreement_cb, ids, e)) {
        json_decref(checkpoint);
        json_decref(aid);
        json_decref(agreements);
        json_decref(ids);
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(ids); i++) {
        json_t *card = comply_scorecard(s, json_integer_value(json_array_get(ids, i)), date, e);
        if (!card) {
            json_decref(checkpoint);
            json_decref(aid);
            json_decref(agreements);
            json_decref(ids);
            goto fail;
        }
        json_array_append_new(agreements, card);
    }
    json_decref(ids);
    json_decref(t.party_of);
    return json_pack("{s:s, s:s, s:o, s:{s:o}, s:o, s:o}", "date", date, "from", from, "checkpoint",
                     checkpoint, "incidents", "days", t.days, "aid", aid, "obligations",
                     agreements);
fail:
    json_decref(t.days);
    json_decref(t.party_of);
    return NULL;
}

/* ---- the page ---------------------------------------------------------------------- */

enum { EN, AR, HE, N_LANGS };

static const struct {
    const char *key, *text[N_LANGS];
} words[] = {
    {"title", {"Daily report", "التقرير اليومي", "דוח יומי"}},
    {"incidents",
     {"Incidents per day, by type", "الحوادث يومياً، حسب النوع", "אירועים ליום, לפי סוג"}},
    {"attribution",
     {"Incidents per day, by the party they are attributed to",
      "الحوادث يومياً، حسب الطرف المنسوبة إليه", "אירועים ליום, לפי הצד שאליו הם מיוחסים"}},
    {"aid",
     {"Trucks entered per day, by source, against the target",
      "الشاحنات الداخلة يومياً حسب المصدر مقارنة بالهدف", "משאיות שנכנסו ליום, לפי מקור, מול היעד"}},
    {"target", {"target", "الهدف", "יעד"}},
    {"obligations", {"Obligations by state", "الالتزامات حسب الحالة", "התחייבויות לפי מצב"}},
    {"party", {"Party", "الطرف", "צד"}},
    {"checkpoint",
     {"The signed checkpoint this report was computed from",
      "نقطة التحقق الموقّعة التي حُسب منها هذا التقرير", "נקודת הביקורת החתומה שממנה חושב הדוח"}},
    {"verify",
     {"Anyone can check it against the log: truce audit --url SERVER",
      "يمكن لأي شخص التحقق منها مقابل السجل: truce audit --url SERVER",
      "כל אחד יכול לבדוק אותה מול היומן: truce audit --url SERVER"}},
    {"none", {"nothing recorded", "لا شيء مسجّل", "לא נרשם דבר"}},
    {"unattributed", {"unattributed", "غير منسوب", "לא מיוחס"}},
    {"Battles", {"Battles", "معارك", "קרבות"}},
    {"Explosions/Remote violence",
     {"Explosions/Remote violence", "انفجارات/عنف عن بُعد", "פיצוצים/אלימות מרחוק"}},
    {"Violence against civilians",
     {"Violence against civilians", "عنف ضد المدنيين", "אלימות נגד אזרחים"}},
    {"Protests", {"Protests", "احتجاجات", "מחאות"}},
    {"Riots", {"Riots", "أعمال شغب", "מהומות"}},
    {"Strategic developments",
     {"Strategic developments", "تطورات استراتيجية", "התפתחויות אסטרטגיות"}},
    {"scheduled", {"scheduled", "مجدول", "מתוכנן"}},
    {"active", {"active", "جارٍ", "פעיל"}},
    {"met", {"met", "منفَّذ", "קוים"}},
    {"met_late", {"met late", "منفَّذ متأخراً", "קוים באיחור"}},
    {"partially_met", {"partially met", "منفَّذ جزئياً", "קוים חלקית"}},
    {"breached", {"breached", "منتهَك", "הופר"}},
    {"not_evaluable", {"not evaluable", "غير قابل للتقييم", "לא ניתן להערכה"}},
};

static const char *word(const char *key, int lang)
{
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i].key, key) == 0) return words[i].text[lang];
    return key; /* what has no translation is shown as written */
}

static void esc(buf *b, const char *s)
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

static const char *const colours[] = {"#1b6ca8", "#d1495b", "#edae49", "#00798c",
                                      "#6a4c93", "#8a9a5b", "#444444"};

/* A stacked bar chart of days x series (values[d][k]), and a line at `line` (< 0: none). */
static void bars(buf *b, const json_t *days, const char *member, int lang, double line)
{
    const int W = 640, H = 220, L = 36, B = 24;
    json_t *keys = json_array(), *d;
    size_t i;
    double top = line > 0 ? line : 0;
    json_array_foreach(days, i, d)
    {
        const char *k;
        json_t *v;
        double sum = 0;
        json_object_foreach(json_object_get(d, member), k, v)
        {
            int known = 0;
            for (size_t j = 0; j < json_array_size(keys); j++)
                known |= !strcmp(json_string_value(json_array_get(keys, j)), k);
            if (!known) json_array_append_new(keys, json_string(k));
            sum += json_number_value(v);
        }
        if (sum > top) top = sum;
    }
    if (top <= 0) top = 1;
    size_t n = json_array_size(days);
    double bw = (double)(W - L - 4) / (double)(n ? n : 1);
    buf_printf(b,
               "<svg dir=\"ltr\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "xmlns=\"http://www.w3.org/2000/svg\">",
               W, H, W, H);
    buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", L, H - B, W,
               H - B);
    buf_printf(b, "<text x=\"2\" y=\"12\" font-size=\"10\">%.0f</text>", top);
    json_array_foreach(days, i, d)
    {
        double y = H - B;
        for (size_t k = 0; k < json_array_size(keys); k++) {
            double v = json_number_value(json_object_get(
                json_object_get(d, member), json_string_value(json_array_get(keys, k))));
            if (v <= 0) continue;
            double h = v / top * (H - B - 16);
            y -= h;
            buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                       "<title>",
                       L + bw * (double)i + 1, y, bw - 2, h, colours[k % 7]);
            esc(b, word(json_string_value(json_array_get(keys, k)), lang));
            buf_printf(b, ": %.0f</title></rect>", v);
        }
        if (i % 2 == 0)
            buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%.5s</text>",
                       L + bw * (double)i, H - 8, jsx_str(d, "date", "") + 5);
    }
    if (line > 0) {
        double y = H - B - line / top * (H - B - 16);
        buf_printf(b,
                   "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\" "
                   "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"10\">",
                   L, y, W, y, L + 2, y - 3);
        esc(b, word("target", lang));
        buf_printf(b, " %.0f</text>", line);
    }
    buf_puts(b, "</svg><p>");
    for (size_t k = 0; k < json_array_size(keys); k++) {
        buf_printf(b,
                   "<span><svg width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\" "
                   "fill=\"%s\"/></svg> ",
                   colours[k % 7]);
        esc(b, word(json_string_value(json_array_get(keys, k)), lang));
        buf_puts(b, "</span> ");
    }
    if (!json_array_size(keys)) esc(b, word("none", lang));
    buf_puts(b, "</p>");
    json_decref(keys);
}

int comply_sitrep_html(const json_t *rep, const char *lang_code, buf *out)
{
    int lang = !strcmp(lang_code, "ar") ? AR : !strcmp(lang_code, "he") ? HE : EN;
    static const char *const codes[] = {"en", "ar", "he"};
    const json_t *d;
    size_t i;
    buf_printf(out,
               "<!doctype html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>",
               codes[lang], lang == EN ? "ltr" : "rtl");
    esc(out, word("title", lang));
    buf_printf(out, " %s</title></head><body><h1>", jsx_str(rep, "date", ""));
    esc(out, word("title", lang));
    buf_printf(out, " <bdi>%s</bdi></h1>\n<h2>", jsx_str(rep, "date", ""));
    /* Incidents by type, then by party. */
    json_t *days = json_object_get(json_object_get(rep, "incidents"), "days");
    esc(out, word("incidents", lang));
    buf_puts(out, "</h2>");
    bars(out, days, "by_type", lang, -1);
    buf_puts(out, "\n<h2>");
    esc(out, word("attribution", lang));
    buf_puts(out, "</h2>");
    bars(out, days, "by_party", lang, -1);
    /* Trucks entered, each source on its own basis, and the highest daily target on it. */
    json_t *aid = json_object_get(json_object_get(rep, "aid"), "days"), *series = json_array();
    double target = -1;
    json_array_foreach(aid, i, d)
    {
        json_t *day = json_pack("{s:O, s:{}}", "date", json_object_get(d, "date"), "trucks");
        const char *k;
        json_t *v, *t;
        size_t j;
        json_object_foreach(json_object_get(d, "counts"), k, v)
        {
            const char *slash = strchr(k, '/');
            if (slash && !strcmp(slash + 1, "trucks_entered")) {
                char src[80];
                snprintf(src, sizeof src, "%.*s", (int)(slash - k), k);
                json_object_set(json_object_get(day, "trucks"), src, v);
            }
        }
        json_array_foreach(json_object_get(d, "targets"), j, t)
        {
            if (!strcmp(jsx_str(t, "per", ""), "day") &&
                json_number_value(json_object_get(t, "value")) > target)
                target = json_number_value(json_object_get(t, "value"));
        }
        json_array_append_new(series, day);
    }
    buf_puts(out, "\n<h2>");
    esc(out, word("aid", lang));
    buf_puts(out, "</h2>");
    bars(out, series, "trucks", lang, target);
    json_decref(series);
    /* Obligations by state, per agreement and party. */
    buf_puts(out, "\n<h2>");
    esc(out, word("obligations", lang));
    buf_puts(out, "</h2>");
    json_array_foreach(json_object_get(rep, "obligations"), i, d)
    {
        const char *party;
        json_t *p;
        buf_printf(out, "<table><caption>#%lld</caption><tr><th>",
                   (long long)json_integer_value(json_object_get(d, "agreement")));
        esc(out, word("party", lang));
        buf_puts(out, "</th>");
        static const char *const states[] = {"met",    "met_late",  "partially_met", "breached",
                                             "active", "scheduled", "not_evaluable"};
        for (size_t k = 0; k < 7; k++) {
            buf_puts(out, "<th>");
            esc(out, word(states[k], lang));
            buf_puts(out, "</th>");
        }
        buf_puts(out, "</tr>");
        json_object_foreach(json_object_get(d, "parties"), party, p)
        {
            buf_puts(out, "<tr><td>");
            esc(out, party);
            buf_puts(out, "</td>");
            for (size_t k = 0; k < 7; k++)
                buf_printf(out, "<td>%lld</td>",
                           (long long)json_integer_value(
                               json_object_get(json_object_get(p, "provisional"), states[k])));
            buf_puts(out, "</tr>");
        }
        buf_puts(out, "</table>");
    }
    /* The checkpoint: what anyone can check the report against. */
    buf_puts(out, "\n<h2>");
    esc(out, word("checkpoint", lang));
    buf_puts(out, "</h2><pre dir=\"ltr\">");
    esc(out, jsx_str(json_object_get(rep, "checkpoint"), "note", ""));
    buf_puts(out, "</pre><p>");
    esc(out, word("verify", lang));
    buf_puts(out, "</p></body></html>\n");
    return 0;
}
