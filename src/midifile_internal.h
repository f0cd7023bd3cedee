/* Helpers shared by the MIDI file reader, writer and builder; not part of the public API. */
#ifndef ACCOMPD_MIDIFILE_INTERNAL_H
#define ACCOMPD_MIDIFILE_INTERNAL_H

#include <stddef.h>

#include "accompd/midifile.h"

/* The public structs carry counts but no capacities, so every growable array
 * of an AcdMidiFile keeps this capacity for n elements: 0 for n == 0, else the
 * next power of two, at least 8. Whoever allocates one of these arrays must
 * allocate acd_midifile_capacity(n) elements, so that appending stays O(1)
 * amortised whoever appends next. */
size_t acd_midifile_capacity(size_t n);

/* Make room in *arr (n elements of elem_size bytes, capacity as above) for
 * element n. ACD_ERR_NOMEM on failure, with *arr untouched. */
AcdStatus acd_midifile_reserve(void **arr, size_t n, size_t elem_size);

/* An empty AcdMidiFile with format 1 and ticks_per_beat. NULL on failure. */
AcdMidiFile *acd_midifile_alloc(int ticks_per_beat);

#endif
