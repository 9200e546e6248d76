/* genius.c - Genius XML import with libxml2; see genius.h. */
#include "negotiate/genius.h"

#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct file_list {
    char **p;
    int n, cap;
} file_list;

static void add_file(file_list *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->p = realloc(l->p, (size_t)l->cap * sizeof *l->p);
        if (!l->p) abort();
    }
    l->p[l->n++] = strdup(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(file_list *l, const char *path, tr_err *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return err_set(e, 400, "genius.missing", "check the path", "cannot read %s", path);
    if (!S_ISDIR(sb.st_mode)) {
        add_file(l, path);
        return 0;
    }
    DIR *d = opendir(path);
    struct dirent *de;
    int first = l->n;
    if (!d) return err_set(e, 400, "genius.missing", NULL, "cannot open directory %s", path);
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        char full[4096];
        if (n < 5 || strcmp(de->d_name + n - 4, ".xml") != 0) continue;
        snprintf(full, sizeof full, "%s/%s", path, de->d_name);
        add_file(l, full);
    }
    closedir(d);
    if (l->n > first) qsort(l->p + first, (size_t)(l->n - first), sizeof *l->p, cmp_str);
    return 0;
}

static const char *attr(xmlNode *n, const char *name, char *buf, size_t cap)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v) return NULL;
    snprintf(buf, cap, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

static int is(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Calls fn on every element named `name` below n, depth first. */
typedef int (*visit_fn)(xmlNode *n, void *cls, tr_err *e);
static int each(xmlNode *n, const char *name, visit_fn fn, void *cls, tr_err *e)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        if (is(c, name)) {
            if (fn(c, cls, e)) return -1;
        } else if (c->type == XML_ELEMENT_NODE && each(c, name, fn, cls, e)) {
            return -1;
        }
    }
    return 0;
}

typedef struct ctx {
    neg_domain *d;
    const char *file;
    int party;
    int idx_to_issue[1024]; /* Genius issue index -> our issue, -1 when none */
    double *evals;          /* Scratch: evaluations of one issue */
} ctx;

static int domain_issue(xmlNode *n, void *cls, tr_err *e)
{
    ctx *c = cls;
    char name[512], type[64], index[32], value[512];
    if (!attr(n, "name", name, sizeof name))
        return err_set(e, 400, "genius.bad_domain", NULL, "%s: an issue has no name", c->file);
    if (attr(n, "type", type, sizeof type) && strcmp(type, "discrete") != 0)
        return err_set(e, 400, "genius.unsupported", "convert the issue to discrete options",
                       "%s: issue '%s' is of type %s; only discrete issues are read", c->file, name,
                       type);
    int i = neg_issue_add(c->d, name);
    if (attr(n, "index", index, sizeof index)) {
        int k = atoi(index);
        if (k >= 0 && k < 1024) c->idx_to_issue[k] = i;
    }
    for (xmlNode *it = n->children; it; it = it->next)
        if (is(it, "item")) {
            if (!attr(it, "value", value, sizeof value))
                return err_set(e, 400, "genius.bad_domain", NULL,
                               "%s: an item of issue '%s' has no value", c->file, name);
            neg_option_add(c->d, i, value);
        }
    return 0;
}

static int profile_issue(xmlNode *n, void *cls, tr_err *e)
{
    ctx *c = cls;
    char name[512], value[512], ev[64];
    int i, n_opt;
    double max = 0;
    if (!attr(n, "name", name, sizeof name) || (i = neg_issue_find(c->d, name)) < 0)
        return err_set(e, 400, "genius.mismatch", "use the profile that goes with the domain",
                       "%s: issue '%s' is not in the domain", c->file,
                       attr(n, "name", name, sizeof name) ? name : "?");
    n_opt = neg_options(c->d, i);
    for (int o = 0; o < n_opt; o++)
        c->evals[o] = 0;
    for (xmlNode *it = n->children; it; it = it->next) {
        if (!is(it, "item")) continue;
        int o;
        if (!attr(it, "value", value, sizeof value) || (o = neg_option_find(c->d, i, value)) < 0)
            return err_set(e, 400, "genius.mismatch", NULL,
                           "%s: issue '%s' has an item the domain does not know", c->file, name);
        double v = attr(it, "evaluation", ev, sizeof ev) ? strtod(ev, NULL) : 0;
        if (!(v >= 0))
            return err_set(e, 400, "genius.bad_profile", NULL,
                           "%s: a negative evaluation in issue '%s'", c->file, name);
        c->evals[o] = v;
        if (v > max) max = v;
    }
    for (int o = 0; o < n_opt; o++)
        neg_value_set(c->d, c->party, i, o, max > 0 ? c->evals[o] / max : 0);
    return 0;
}

static int profile_weight(xmlNode *n, void *cls, tr_err *e)
{
    ctx *c = cls;
    char index[32], value[64];
    int k;
    if (!attr(n, "index", index, sizeof index) || !attr(n, "value", value, sizeof value))
        return err_set(e, 400, "genius.bad_profile", NULL, "%s: a weight lacks index or value",
                       c->file);
    k = atoi(index);
    /* Genius also weighs the objective that holds the issues (often 1.0); only issue
     * weights count. */
    if (k < 0 || k >= 1024 || c->idx_to_issue[k] < 0) return 0;
    neg_weight_set(c->d, c->party, c->idx_to_issue[k], strtod(value, NULL));
    return 0;
}

static int profile_reservation(xmlNode *n, void *cls, tr_err *e)
{
    ctx *c = cls;
    char value[64];
    (void)e;
    if (attr(n, "value", value, sizeof value))
        neg_reservation_set(c->d, c->party, strtod(value, NULL));
    return 0;
}

static void party_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, cap, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot) *dot = 0;
}

neg_domain *neg_genius_load(char *const *paths, int n, tr_err *e)
{
    file_list files = {0};
    xmlDoc **docs = NULL;
    neg_domain *d = NULL;
    int domain = -1, rc = -1;
    ctx c;

    for (int i = 0; i < n; i++)
        if (collect(&files, paths[i], e)) goto out;
    docs = calloc((size_t)files.n + 1, sizeof *docs);
    if (!docs) abort();
    for (int i = 0; i < files.n; i++) {
        docs[i] = xmlReadFile(files.p[i], NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!docs[i]) {
            err_set(e, 400, "genius.bad_xml", "check the file", "%s is not well-formed XML",
                    files.p[i]);
            goto out;
        }
        if (is(xmlDocGetRootElement(docs[i]), "negotiation_template")) {
            if (domain >= 0) {
                err_set(e, 400, "genius.two_domains", "give one domain at a time",
                        "both %s and %s are domains", files.p[domain], files.p[i]);
                goto out;
            }
            domain = i;
        }
    }
    if (domain < 0) {
        err_set(e, 400, "genius.no_domain", "add the domain file (<negotiation_template>)",
                "none of the files is a Genius domain");
        goto out;
    }
    d = neg_domain_new();
    memset(&c, 0, sizeof c);
    c.d = d;
    for (int k = 0; k < 1024; k++)
        c.idx_to_issue[k] = -1;
    c.file = files.p[domain];
    if (each(xmlDocGetRootElement(docs[domain]), "issue", domain_issue, &c, e)) goto out;
    int max_opt = 1;
    for (int i = 0; i < neg_issues(d); i++)
        if (neg_options(d, i) > max_opt) max_opt = neg_options(d, i);
    c.evals = calloc((size_t)max_opt, sizeof *c.evals);
    if (!c.evals) abort();
    for (int f = 0; f < files.n; f++) {
        char name[256];
        xmlNode *root = xmlDocGetRootElement(docs[f]);
        if (f == domain) continue;
        if (!is(root, "utility_space")) {
            err_set(e, 400, "genius.unknown_file", "give only the domain and its profiles",
                    "%s is neither a domain nor a profile", files.p[f]);
            goto out_evals;
        }
        party_name(files.p[f], name, sizeof name);
        c.party = neg_party_add(d, name);
        c.file = files.p[f];
        if (each(root, "issue", profile_issue, &c, e) ||
            each(root, "weight", profile_weight, &c, e) ||
            each(root, "reservation", profile_reservation, &c, e))
            goto out_evals;
    }
    if (neg_domain_check(d, e)) goto out_evals;
    rc = 0;
out_evals:
    free(c.evals);
out:
    for (int i = 0; i < files.n; i++) {
        if (docs && docs[i]) xmlFreeDoc(docs[i]);
        free(files.p[i]);
    }
    free(files.p);
    free(docs);
    if (rc) {
        neg_domain_free(d);
        return NULL;
    }
    return d;
}

neg_domain *neg_genius_domain_parse(const char *xml, size_t len, tr_err *e)
{
    xmlDoc *doc;
    neg_domain *d;
    ctx c;
    if (len > 1 << 20) {
        err_set(e, 413, "genius.too_large", NULL, "the domain is larger than 1 MiB");
        return NULL;
    }
    doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !is(xmlDocGetRootElement(doc), "negotiation_template")) {
        if (doc) xmlFreeDoc(doc);
        err_field(e, "genius.bad_domain", "genius_domain", "give a Genius <negotiation_template>",
                  "genius_domain is not a Genius domain");
        return NULL;
    }
    d = neg_domain_new();
    memset(&c, 0, sizeof c);
    c.d = d;
    for (int k = 0; k < 1024; k++)
        c.idx_to_issue[k] = -1;
    c.file = "genius_domain";
    if (each(xmlDocGetRootElement(doc), "issue", domain_issue, &c, e)) {
        neg_domain_free(d);
        d = NULL;
    }
    xmlFreeDoc(doc);
    return d;
}
