/* Auto-connection by pattern, and remembering connections across JACK server restarts. */
#include <errno.h>
#include <jack/jack.h>
#include <stdio.h>
#include <string.h>

#include "jack_setup.h"

static jack_port_t *port_of(AcdJack *j, int which)
{
    return which == 0 ? j->rt.in_port : which == 1 ? j->rt.out_port : j->rt.thru_port;
}

/* Connect our port to `peer` in the right direction; 0 or EEXIST is fine. */
static int connect_peer(AcdJack *j, int which, const char *peer)
{
    const char *mine = jack_port_name(port_of(j, which));
    int rc = which == 0 ? jack_connect(j->rt.client, peer, mine)
                        : jack_connect(j->rt.client, mine, peer);
    return rc == 0 || rc == EEXIST ? 0 : -1;
}

static void connect_patterns(AcdJack *j, int which, const char *const *patterns)
{
    /* Our input takes from outputs, our outputs feed inputs. */
    unsigned long flags = which == 0 ? JackPortIsOutput : JackPortIsInput;
    for (int k = 0; k < ACD_JACK_MAX_PATTERNS && patterns[k]; k++) {
        const char **names =
            jack_get_ports(j->rt.client, patterns[k], JACK_DEFAULT_MIDI_TYPE, flags);
        if (!names)
            continue;
        for (size_t i = 0; names[i]; i++) {
            jack_port_t *p = jack_port_by_name(j->rt.client, names[i]);
            /* Never feed ourselves: ".*" would loop the accompaniment back. */
            if (p && !jack_port_is_mine(j->rt.client, p))
                connect_peer(j, which, names[i]);
        }
        jack_free(names);
    }
}

void acd_jack_connect(AcdJack *j)
{
    if (!j->open)
        return;
    connect_patterns(j, 0, j->cfg.connect_in);
    connect_patterns(j, 1, j->cfg.connect_out);
    if (j->rt.thru_port)
        connect_patterns(j, 2, j->cfg.connect_thru);
    int missing = 0;
    for (int which = 0; which < 3; which++) {
        if (!port_of(j, which))
            continue;
        for (int i = 0; i < j->peers[which].n; i++) {
            const char *peer = j->peers[which].name[i];
            if (jack_port_connected_to(port_of(j, which), peer))
                continue;
            if (!jack_port_by_name(j->rt.client, peer) || connect_peer(j, which, peer) != 0)
                missing++;
        }
    }
    if (missing == 0)
        j->restoring = false;
}

void acd_jack_remember(AcdJack *j)
{
    /* After a reconnection the peers come back one by one; forgetting the
     * ones not back yet would lose them for good. */
    if (!j->open || j->restoring)
        return;
    for (int which = 0; which < 3; which++) {
        AcdJackPeers *pe = &j->peers[which];
        jack_port_t *port = port_of(j, which);
        pe->n = 0;
        if (!port)
            continue;
        const char **names = jack_port_get_connections(port);
        if (!names)
            continue;
        for (size_t i = 0; names[i] && pe->n < ACD_JACK_MAX_PEERS; i++) {
            strncpy(pe->name[pe->n], names[i], ACD_JACK_NAME_MAX - 1);
            pe->name[pe->n][ACD_JACK_NAME_MAX - 1] = '\0';
            pe->n++;
        }
        jack_free(names);
    }
}

size_t acd_jack_peers_format(const AcdJack *j, char *buf, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return 0;
    buf[0] = '\0';
    for (int which = 0; which < 3; which++) {
        for (int i = 0; i < j->peers[which].n; i++) {
            int w = snprintf(buf + n, size - n, "%d\t%s\n", which, j->peers[which].name[i]);
            if (w < 0 || (size_t)w >= size - n)
                return 0;
            n += (size_t)w;
        }
    }
    return n;
}

void acd_jack_peers_parse(AcdJack *j, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        int which = text[0] - '0';
        if (len > 2 && which >= 0 && which < 3 && text[1] == '\t' &&
            j->peers[which].n < ACD_JACK_MAX_PEERS && len - 2 < ACD_JACK_NAME_MAX) {
            AcdJackPeers *pe = &j->peers[which];
            memcpy(pe->name[pe->n], text + 2, len - 2);
            pe->name[pe->n][len - 2] = '\0';
            pe->n++;
            j->restoring = true;
        }
        text = nl ? nl + 1 : NULL;
    }
}
