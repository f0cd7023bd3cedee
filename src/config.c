/* Loading accompd.conf (libconfig syntax) over the defaults, strictly, and the flags over it. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_internal.h"

#ifndef ACD_SYSCONFDIR
#define ACD_SYSCONFDIR "/etc"
#endif

void acd_config_init(AcdConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

void acd_config_cleanup(AcdConfig *cfg)
{
    for (size_t i = 0; i < cfg->n_strings; i++)
        free(cfg->strings[i]);
    free(cfg->strings);
    free(cfg->path);
    acd_config_init(cfg);
}

const char *acd_config_system_path(void)
{
    return ACD_SYSCONFDIR "/accompd/accompd.conf";
}

/* A copy of s that lives as long as cfg. */
static const char *keep(AcdConfig *cfg, const char *s)
{
    if (cfg->n_strings == cfg->cap_strings) {
        size_t cap = cfg->cap_strings ? 2 * cfg->cap_strings : 16;
        char **grown = realloc(cfg->strings, cap * sizeof *grown);
        if (!grown)
            return NULL;
        cfg->strings = grown;
        cfg->cap_strings = cap;
    }
    char *copy = strdup(s);
    if (copy)
        cfg->strings[cfg->n_strings++] = copy;
    return copy;
}

/* What the loader is reading, for its messages. */
typedef struct {
    const char *text;
    const char *name;
    unsigned line;
    AcdError *err;
} Where;

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "nothing";
    }
}

static AcdStatus wrong_type(const Where *w, const Key *k, const char *expected, int type)
{
    return acd_error_set(w->err, ACD_ERR_FORMAT, "%s:%u: %s: expected %s, not %s", w->name, w->line,
                         k->name, expected, type_name(type));
}

static AcdStatus out_of_range(const Where *w, const Key *k, const char *lit)
{
    const char *what = k->kind == KEY_DOUBLE        ? "a number"
                       : (k->attrs & KEY_POW2) != 0 ? "a power of two"
                                                    : "an integer";
    /* %.0f: integer ranges print whole ("2147483647", not "2.14748e+09"). */
    return acd_error_set(w->err, ACD_ERR_RANGE,
                         k->kind == KEY_DOUBLE
                             ? "%s:%u: %s = %s: out of range, expected %s in [%g, %g]"
                             : "%s:%u: %s = %s: out of range, expected %s in [%.0f, %.0f]",
                         w->name, w->line, k->name, lit, what, k->lo, k->hi);
}

/* An integer setting's exact value: from its literal in the text, since
 * libconfig 1.5 reads 4294967297 as the int 1 and 0xFFFFFFFF as -1. */
static AcdStatus exact_int(const Where *w, const Key *k, const config_setting_t *s, int64_t *v,
                           char *lit, size_t cap)
{
    bool overflow = false;
    lit[0] = '\0';
    if (!acd_config_literal(w->text, k->name, lit, cap) ||
        !acd_config_parse_int(lit, v, &overflow)) {
        if (strstr(lit, "...")) /* longer than any integer that fits */
            return out_of_range(w, k, lit);
        /* The literal was not found where expected: trust libconfig,
         * whose int64 reading is exact for whatever was typed with L. */
        *v = config_setting_get_int64(s);
        snprintf(lit, cap, "%lld", (long long)*v);
        return ACD_OK;
    }
    return overflow ? out_of_range(w, k, lit) : ACD_OK;
}

static AcdStatus set_string(AcdConfig *cfg, const Where *w, const Key *k, const config_setting_t *s,
                            void *field)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_STRING)
        return wrong_type(w, k, "a string", type);
    const char *v = config_setting_get_string(s);
    if ((k->attrs & KEY_NONEMPTY) && !*v)
        return acd_error_set(w->err, ACD_ERR_RANGE, "%s:%u: %s: must not be empty", w->name,
                             w->line, k->name);
    const char *copy = keep(cfg, v);
    if (!copy)
        return acd_error_set(w->err, ACD_ERR_NOMEM, "%s: out of memory", w->name);
    *(const char **)field = copy;
    return ACD_OK;
}

static AcdStatus set_list(AcdConfig *cfg, const Where *w, const Key *k, const config_setting_t *s,
                          void *field)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return wrong_type(w, k, "a list of strings", type);
    int n = config_setting_length(s);
    if (n > ACD_OPTIONS_MAX_PATTERNS)
        return acd_error_set(w->err, ACD_ERR_LIMIT, "%s:%u: %s: at most %d patterns, not %d",
                             w->name, w->line, k->name, ACD_OPTIONS_MAX_PATTERNS, n);
    const char **list = field;
    memset(list, 0, (ACD_OPTIONS_MAX_PATTERNS + 1) * sizeof *list);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return wrong_type(w, k, "a list of strings", config_setting_type(e));
        const char *v = config_setting_get_string(e);
        if (!*v)
            return acd_error_set(w->err, ACD_ERR_RANGE, "%s:%u: %s: empty pattern", w->name,
                                 w->line, k->name);
        if (!(list[i] = keep(cfg, v)))
            return acd_error_set(w->err, ACD_ERR_NOMEM, "%s: out of memory", w->name);
    }
    return ACD_OK;
}

static AcdStatus set_double(const Where *w, const Key *k, const config_setting_t *s, double *field)
{
    char lit[32];
    int type = config_setting_type(s);
    double v;
    if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
        int64_t i;
        AcdStatus st = exact_int(w, k, s, &i, lit, sizeof lit);
        if (st != ACD_OK)
            return st;
        v = (double)i;
    } else if (type == CONFIG_TYPE_FLOAT) {
        v = config_setting_get_float(s);
        snprintf(lit, sizeof lit, "%g", v);
    } else {
        return wrong_type(w, k, "a number", type);
    }
    if (!isfinite(v) || v < k->lo || v > k->hi)
        return out_of_range(w, k, lit);
    *field = v;
    return ACD_OK;
}

static AcdStatus set_integer(const Where *w, const Key *k, const config_setting_t *s, void *field)
{
    char lit[32];
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return wrong_type(w, k, "an integer", type);
    int64_t v;
    AcdStatus st = exact_int(w, k, s, &v, lit, sizeof lit);
    if (st != ACD_OK)
        return st;
    /* lo and hi are small integers, exact as doubles. */
    if ((double)v < k->lo || (double)v > k->hi)
        return out_of_range(w, k, lit);
    if ((k->attrs & KEY_POW2) && (v & (v - 1)) != 0)
        return out_of_range(w, k, lit);
    switch (k->kind) {
    case KEY_INT:
    case KEY_COUNT:
        *(int *)field = (int)v;
        break;
    case KEY_SIZE:
        *(size_t *)field = (size_t)v;
        break;
    case KEY_U64:
        *(uint64_t *)field = (uint64_t)v;
        break;
    default:
        break;
    }
    return ACD_OK;
}

static AcdStatus set_key(AcdConfig *cfg, AcdOptions *o, const Where *w, const Key *k,
                         const config_setting_t *s)
{
    void *field = acd_config_field(o, k);
    switch (k->kind) {
    case KEY_STRING:
        return set_string(cfg, w, k, s, field);
    case KEY_LIST:
        return set_list(cfg, w, k, s, field);
    case KEY_DOUBLE:
        return set_double(w, k, s, field);
    case KEY_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return wrong_type(w, k, "true or false", config_setting_type(s));
        *(bool *)field = config_setting_get_bool(s) != 0;
        return ACD_OK;
    default:
        return set_integer(w, k, s, field);
    }
}

/* Settings that only make sense together, checked once the file is read. */
static AcdStatus check_pairs(const AcdConfig *cfg, const AcdOptions *o, const char *name,
                             AcdError *err)
{
    if (o->in_reserve < o->in_ring)
        return ACD_OK;
    const Key *k = acd_config_key_find("in_reserve");
    const AcdOrigin *org = &cfg->origin[acd_config_key_index(k)];
    if (org->kind != ACD_ORIGIN_FILE)
        org = &cfg->origin[acd_config_key_index(acd_config_key_find("in_ring"))];
    return acd_error_set(err, ACD_ERR_RANGE, "%s:%u: in_reserve = %zu must be below in_ring = %zu",
                         name, org->line, o->in_reserve, o->in_ring);
}

static AcdStatus load_text(AcdConfig *cfg, AcdOptions *o, const char *text, size_t len,
                           const char *name, AcdError *err)
{
    const char *what = NULL;
    unsigned bad_line = acd_config_forbidden(text, len, &what);
    if (bad_line)
        return acd_error_set(err, ACD_ERR_FORMAT, "%s:%u: %s", name, bad_line, what);

    if ((bad_line = acd_config_unterminated(text)) != 0)
        return acd_error_set(err, ACD_ERR_FORMAT, "%s:%u: unterminated string", name, bad_line);

    free(cfg->path);
    if (!(cfg->path = strdup(name)))
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", name);

    config_t c;
    config_init(&c);
    AcdStatus st = ACD_OK;
    if (!config_read_string(&c, text)) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%d: %s", name, config_error_line(&c),
                           config_error_text(&c));
        goto out;
    }
    const config_setting_t *root = config_root_setting(&c);
    int n = config_setting_length(root);
    for (int i = 0; i < n && st == ACD_OK; i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        Where w = {text, name, config_setting_source_line(s), err};
        const Key *k = acd_config_key_find(config_setting_name(s));
        if (!k) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%u: unknown key '%s'", name, w.line,
                               config_setting_name(s));
            break;
        }
        if ((st = set_key(cfg, o, &w, k, s)) == ACD_OK)
            cfg->origin[acd_config_key_index(k)] = (AcdOrigin){ACD_ORIGIN_FILE, w.line};
    }
    if (st == ACD_OK)
        st = check_pairs(cfg, o, name, err);
out:
    config_destroy(&c);
    return st;
}

AcdStatus acd_config_load_string(AcdConfig *cfg, AcdOptions *o, const char *text, const char *name,
                                 AcdError *err)
{
    return load_text(cfg, o, text, strlen(text), name, err);
}

AcdStatus acd_config_load_file(AcdConfig *cfg, AcdOptions *o, const char *path, AcdError *err)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    AcdStatus st = ACD_OK;
    char *text = malloc(ACD_CONFIG_MAX_BYTES + 1);
    if (!text) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    size_t len = fread(text, 1, ACD_CONFIG_MAX_BYTES + 1, f);
    if (ferror(f)) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (len > ACD_CONFIG_MAX_BYTES) {
        st = acd_error_set(err, ACD_ERR_LIMIT, "%s: larger than %u bytes", path,
                           ACD_CONFIG_MAX_BYTES);
        goto out;
    }
    text[len] = '\0';
    st = load_text(cfg, o, text, len, path, err);
out:
    free(text);
    fclose(f);
    return st;
}

static bool exists(const char *path)
{
    struct stat sb;
    /* Present but unreadable still counts: loading it then says why. */
    return stat(path, &sb) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

static AcdStatus copy_path(char *out, size_t cap, const char *path, AcdError *err)
{
    if (strlen(path) >= cap)
        return acd_error_set(err, ACD_ERR_LIMIT, "%s: path too long", path);
    strcpy(out, path);
    return ACD_OK;
}

AcdStatus acd_config_find(const char *explicit_path, char *out, size_t cap, AcdError *err)
{
    if (explicit_path)
        return copy_path(out, cap, explicit_path, err);
    char user[PATH_MAX] = "";
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    /* The XDG base directory spec: a relative $XDG_CONFIG_HOME is invalid. */
    if (xdg && xdg[0] == '/')
        snprintf(user, sizeof user, "%s/accompd/accompd.conf", xdg);
    else if (home && home[0])
        snprintf(user, sizeof user, "%s/.config/accompd/accompd.conf", home);
    if (user[0] && exists(user))
        return copy_path(out, cap, user, err);
    if (exists(acd_config_system_path()))
        return copy_path(out, cap, acd_config_system_path(), err);
    return acd_error_set(err, ACD_ERR_EMPTY, "no configuration file");
}

AcdStatus acd_config_take_args(AcdConfig *cfg, int *argc, char **argv, AcdError *err)
{
    int out = 1, i = 1;
    for (; i < *argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--print-config") == 0) {
            cfg->print_config = true;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            cfg->config_arg = argv[i] + 9;
        } else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= *argc)
                return acd_error_set(err, ACD_ERR_INVALID, "--config needs a value");
            cfg->config_arg = argv[++i];
        } else {
            argv[out++] = argv[i];
        }
    }
    while (i < *argc)
        argv[out++] = argv[i++];
    argv[out] = NULL;
    *argc = out;
    return ACD_OK;
}

/* The keys whose flag argv names (up to "--"), so that a flag giving the
 * default value still shows as a flag. */
static void named_keys(int argc, char **argv, bool *named)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] != '-') {
            named[acd_config_key_index(acd_config_key_find("verbose"))] |= strchr(a, 'v') != NULL;
            continue;
        }
        if (a[0] != '-' || a[1] != '-')
            continue;
        size_t len = strcspn(a + 2, "=");
        for (size_t k = 0; k < acd_config_n_keys_; k++) {
            const char *flag = acd_config_keys[k].flag;
            if (strlen(flag) == len && strncmp(flag, a + 2, len) == 0)
                named[k] = true;
        }
    }
}

AcdStatus acd_config_apply_flags(AcdConfig *cfg, AcdOptions *o, int argc, char **argv,
                                 AcdError *err)
{
    bool named[ACD_CONFIG_MAX_KEYS] = {false};
    named_keys(argc, argv, named);
    for (size_t i = 0; i < acd_config_n_keys_; i++)
        if (named[i] && acd_config_keys[i].kind == KEY_LIST)
            memset(acd_config_field(o, &acd_config_keys[i]), 0,
                   (ACD_OPTIONS_MAX_PATTERNS + 1) * sizeof(const char *));
    AcdOptions before = *o;
    AcdStatus st = acd_options_parse(o, argc, argv, err);
    for (size_t i = 0; i < acd_config_n_keys_; i++)
        if (named[i] || !acd_config_key_equal(&before, o, &acd_config_keys[i]))
            cfg->origin[i] = (AcdOrigin){ACD_ORIGIN_FLAG, 0};
    return st;
}

AcdStatus acd_config_setup(AcdConfig *cfg, AcdOptions *o, int *argc, char **argv, AcdError *err)
{
    acd_config_init(cfg);
    acd_options_default(o);
    AcdStatus st = acd_config_take_args(cfg, argc, argv, err);
    if (st != ACD_OK)
        return st;
    char path[PATH_MAX];
    st = acd_config_find(cfg->config_arg, path, sizeof path, err);
    if (st == ACD_OK)
        st = acd_config_load_file(cfg, o, path, err);
    else if (st == ACD_ERR_EMPTY)
        st = ACD_OK;
    if (st == ACD_OK)
        st = acd_config_apply_flags(cfg, o, *argc, argv, err);
    return st;
}

AcdStatus acd_config_mark(AcdConfig *cfg, const char *key, AcdOriginKind kind, unsigned line)
{
    const Key *k = acd_config_key_find(key);
    if (!k)
        return acd_error_set(NULL, ACD_ERR_INVALID, "no key %s", key);
    cfg->origin[acd_config_key_index(k)] = (AcdOrigin){kind, line};
    return ACD_OK;
}

AcdOrigin acd_config_origin(const AcdConfig *cfg, const char *key)
{
    const Key *k = acd_config_key_find(key);
    return k ? cfg->origin[acd_config_key_index(k)] : (AcdOrigin){ACD_ORIGIN_DEFAULT, 0};
}
