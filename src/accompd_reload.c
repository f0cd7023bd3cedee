/* accompd's engine from its settings, and SIGHUP: configuration and model reloaded while playing. */
#include <stdlib.h>
#include <string.h>

#include "accompd/log.h"
#include "accompd/notify.h"
#include "accompd_daemon.h"

AcdStatus acd_daemon_make_engine(const AcdOptions *o, const AcdModel *m, double rate,
                                 AcdEngine **out, AcdError *err)
{
    const AcdModelConfig *mc = acd_model_config(m);
    if (o->steps_per_beat && o->steps_per_beat != mc->steps_per_beat)
        return acd_error_set(err, ACD_ERR_INVALID,
                             "--steps-per-beat %d: the model was trained with %d",
                             o->steps_per_beat, mc->steps_per_beat);
    AcdEngineConfig ec;
    acd_engine_config_default(&ec, m);
    ec.units_per_step = acd_engine_units_per_step(o->tempo_bpm, mc->steps_per_beat, rate);
    ec.grace_units = (int64_t)(o->grace_ms * rate / 1000.0 + 0.5);
    ec.beats_per_bar = o->beats_per_bar;
    ec.count_in_steps = o->count_in_steps;
    ec.stop_after_bars = o->stop_after_bars;
    ec.channel = (uint8_t)(o->channel - 1);
    ec.velocity = (uint8_t)o->velocity;
    ec.sampler.seed = o->seed;
    if (o->temperature >= 0)
        ec.sampler.temperature = (float)o->temperature;
    if (o->max_poly >= 0)
        ec.sampler.max_poly = o->max_poly;
    return acd_engine_new(m, &ec, out, err);
}

void acd_daemon_control_config(const AcdOptions *o, AcdControlConfig *cc)
{
    memset(cc, 0, sizeof *cc);
    cc->cc[ACD_CONTROL_ONOFF] = o->cc_onoff;
    cc->cc[ACD_CONTROL_PANIC] = o->panic_cc;
    cc->cc[ACD_CONTROL_VARIETY] = o->cc_variety;
    cc->cc[ACD_CONTROL_DENSITY] = o->cc_density;
    cc->cc[ACD_CONTROL_VELOCITY] = o->cc_velocity;
    cc->cc[ACD_CONTROL_TEMPO] = o->cc_tempo;
    cc->channel = (uint8_t)(o->channel - 1);
    cc->bass_channel = o->bass_channel - 1;
    cc->velocity = (uint8_t)o->velocity;
    cc->dynamics = (float)o->dynamics;
    cc->learn = acd_control_function_parse(o->learn);
}

static uint16_t channel_mask(const AcdOptions *o)
{
    uint16_t m = (uint16_t)(1u << (o->channel - 1));
    if (o->bass_channel > 0)
        m |= (uint16_t)(1u << (o->bass_channel - 1));
    return m;
}

static void copy_patterns(const AcdOptions *o, AcdJackConfig *jc)
{
    for (int i = 0; i < ACD_JACK_MAX_PATTERNS; i++) {
        jc->connect_in[i] = o->connect_in[i];
        jc->connect_out[i] = o->connect_out[i];
        jc->connect_thru[i] = o->connect_thru[i];
    }
}

void acd_daemon_jack_config(const AcdOptions *o, const AcdModel *m, const AcdEngine *e,
                            AcdJackConfig *jc)
{
    memset(jc, 0, sizeof *jc);
    jc->client_name = o->client_name;
    jc->server_name = o->server_name;
    jc->thru = o->thru;
    jc->in_ring_size = o->in_ring;
    jc->out_ring_size = o->out_ring;
    jc->in_reserve = o->in_reserve;
    jc->grace_frames = acd_engine_config(e)->grace_units;
    jc->out_channels = channel_mask(o);
    acd_daemon_control_config(o, &jc->control);
    jc->program = o->program;
    jc->follow_transport = !o->no_transport;
    jc->follow_midi_clock = o->midi_clock;
    jc->steps_per_beat = acd_model_config(m)->steps_per_beat;
    jc->units_per_step = acd_engine_config(e)->units_per_step;
    copy_patterns(o, jc);
}

const AcdOptions *acd_daemon_options(const AcdDaemon *d)
{
    return d->reloaded ? &d->cur : &d->boot;
}

void acd_daemon_reload_cleanup(AcdDaemon *d)
{
    if (d->reloaded)
        acd_config_cleanup(&d->cur_cfg);
    d->reloaded = false;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Settings fixed by the open client and its rings: a reload keeps the
 * start-up value and says so. Start-up strings live as long as the process. */
static void keep_fixed(const AcdOptions *boot, AcdOptions *n)
{
#define KEEP_STR(field, key)                                                                       \
    if (!same_str(n->field, boot->field)) {                                                        \
        acd_log_warning("reload: %s needs a restart; keeping the running value", key);             \
        n->field = boot->field;                                                                    \
    }
#define KEEP(field, key)                                                                           \
    if (n->field != boot->field) {                                                                 \
        acd_log_warning("reload: %s needs a restart; keeping the running value", key);             \
        n->field = boot->field;                                                                    \
    }
    KEEP_STR(client_name, "name");
    KEEP_STR(server_name, "server");
    KEEP_STR(backend, "backend");
    KEEP_STR(pid_file, "pid_file");
    KEEP(thru, "thru");
    KEEP(grace_ms, "grace_ms");
    KEEP(no_transport, "no_transport");
    KEEP(midi_clock, "midi_clock");
    KEEP(in_ring, "in_ring");
    KEEP(out_ring, "out_ring");
    KEEP(in_reserve, "in_reserve");
#undef KEEP
#undef KEEP_STR
}

void acd_daemon_reload(AcdDaemon *d)
{
    AcdError err = {0};
    acd_notify_reloading(NULL);
    const AcdOptions *old = acd_daemon_options(d);
    acd_log_info("reload: reading the configuration and %s", "the model");

    /* acd_config_setup reorders its argv: give it a scratch copy. */
    char **argv = calloc((size_t)d->argc + 1, sizeof *argv);
    AcdConfig cfg;
    AcdOptions n;
    acd_config_init(&cfg);
    AcdModel *model = NULL;
    AcdEngine *engine = NULL;
    int argc = d->argc;
    if (!argv) {
        acd_error_set(&err, ACD_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(argv, d->argv, (size_t)d->argc * sizeof *argv);
    if (acd_config_setup(&cfg, &n, &argc, argv, &err) != ACD_OK)
        goto fail;
    if (!n.model_path) {
        acd_error_set(&err, ACD_ERR_INVALID, "--model is required (no model in the configuration)");
        goto fail;
    }
    keep_fixed(&d->boot, &n);
    if (acd_model_load(n.model_path, &model, &err) != ACD_OK)
        goto fail;
    if (acd_daemon_make_engine(&n, model, d->rate, &engine, &err) != ACD_OK)
        goto fail;

    AcdJackSwap swap = {engine, {{0}, 0, 0, 0, 0.0f, 0}, acd_model_config(model)->steps_per_beat,
                        acd_engine_config(engine)->units_per_step,
                        n.program != old->program ? n.program : -1};
    acd_daemon_control_config(&n, &swap.control);
    if (!acd_jack_infer_swap(&d->jack->infer, &swap, &d->jack->main_wake, 2000)) {
        acd_error_set(&err, ACD_ERR_BACKEND, "the inference thread did not take the new model");
        goto fail;
    }
    /* The old engine is the thread's no more: free it and its model. */
    acd_engine_free(swap.engine);
    acd_model_free(d->model);
    d->model = model;
    d->engine = engine;
    d->jack->engine = engine;
    AcdJackConfig *jc = &d->jack->cfg;
    acd_daemon_control_config(&n, &jc->control);
    jc->control.learn = -1;
    jc->program = n.program;
    jc->out_channels = channel_mask(&n);
    jc->steps_per_beat = swap.steps_per_beat;
    jc->units_per_step = acd_engine_config(engine)->units_per_step;
    copy_patterns(&n, jc);
    acd_daemon_reload_cleanup(d);
    d->cur_cfg = cfg;
    d->cur = n;
    d->reloaded = true;
    d->reloads++;
    acd_log_set_level((AcdLogLevel)(ACD_LOG_INFO + (n.verbose > 1 ? 1 : n.verbose)));
    if (d->jack->open)
        acd_jack_connect(d->jack);
    free(argv);
    acd_log_notice("reloaded: model %s, %.1f BPM, configuration %s", n.model_path, n.tempo_bpm,
                   cfg.path ? cfg.path : "none");
    acd_notify_ready("playing", NULL);
    return;

fail:
    d->reload_failures++;
    acd_log_error("reload failed: %s; still playing %s", acd_error_text(&err),
                  old->model_path ? old->model_path : "the old model");
    acd_engine_free(engine);
    acd_model_free(model);
    acd_config_cleanup(&cfg);
    free(argv);
    acd_notify_ready("playing (reload failed)", NULL);
}
