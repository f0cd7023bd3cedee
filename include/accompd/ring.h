/* Lock-free single-producer single-consumer ring of fixed-size records. */
#ifndef ACCOMPD_RING_H
#define ACCOMPD_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One writer thread and one reader thread may use a ring at the same time
 * without locks: the writer owns `head`, the reader owns `tail`, and each
 * publishes its index with a release store that the other side reads with an
 * acquire load, so a record's bytes are visible before its index is.
 * Indices run freely (they wrap at SIZE_MAX, a multiple of the capacity) and
 * are masked on access; full is head - tail == capacity. */
typedef struct AcdRing AcdRing;

/* Allocate a ring of `capacity` records of `record_size` bytes each.
 * capacity must be a power of two (>= 2) and record_size > 0; the storage is
 * zeroed and locked nowhere: call this before any realtime thread starts.
 * Not RT-safe. */
AcdStatus acd_ring_new(size_t capacity, size_t record_size, AcdRing **out);

/* Free a ring (NULL is fine). No thread may be using it. Not RT-safe. */
void acd_ring_free(AcdRing *ring);

/* Capacity in records, as given to acd_ring_new. RT-safe. */
size_t acd_ring_capacity(const AcdRing *ring);

/* Records the writer can add now. Writer only. RT-safe. */
size_t acd_ring_write_space(const AcdRing *ring);

/* Copy one record in. ACD_ERR_FULL (and nothing written) when there is no
 * room: the caller counts the drop, it never waits. Writer only. RT-safe. */
AcdStatus acd_ring_write(AcdRing *ring, const void *record);

/* Records waiting to be read. Reader only. RT-safe. */
size_t acd_ring_read_space(const AcdRing *ring);

/* Copy the oldest record out without removing it. ACD_ERR_EMPTY when there is
 * none. Reader only. RT-safe. */
AcdStatus acd_ring_peek(const AcdRing *ring, void *record);

/* Copy the oldest record out and remove it. ACD_ERR_EMPTY when there is none.
 * Reader only. RT-safe. */
AcdStatus acd_ring_read(AcdRing *ring, void *record);

/* Remove the oldest record (after a peek). Reader only. RT-safe. */
void acd_ring_skip(AcdRing *ring);

/* Empty the ring. Only when neither side is running (e.g. between a JACK
 * server loss and the reconnection). Not RT-safe. */
void acd_ring_reset(AcdRing *ring);

#ifdef __cplusplus
}
#endif

#endif
