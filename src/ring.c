/* Lock-free single-producer single-consumer ring of fixed-size records. */
#include "accompd/ring.h"

#include <stdlib.h>
#include <string.h>

#include "accompd/realtime.h"

/* The two indices live on separate cache lines so that the writer's stores
 * do not keep invalidating the line the reader polls, and vice versa. */
#define CACHE_LINE 64

struct AcdRing {
    _Alignas(CACHE_LINE) atomic_size_t head; /* next slot to write; stored by the writer */
    _Alignas(CACHE_LINE) atomic_size_t tail; /* next slot to read; stored by the reader */
    _Alignas(CACHE_LINE) size_t capacity;
    size_t mask;
    size_t record_size;
    unsigned char *records;
};

AcdStatus acd_ring_new(size_t capacity, size_t record_size, AcdRing **out)
{
    *out = NULL;
    if (capacity < 2 || (capacity & (capacity - 1)) != 0 || record_size == 0)
        return ACD_ERR_INVALID;
    if (capacity > SIZE_MAX / 2 / record_size)
        return ACD_ERR_LIMIT;

    AcdRing *ring = aligned_alloc(CACHE_LINE, sizeof *ring);
    if (!ring)
        return ACD_ERR_NOMEM;
    memset(ring, 0, sizeof *ring);
    ring->records = calloc(capacity, record_size);
    if (!ring->records) {
        free(ring);
        return ACD_ERR_NOMEM;
    }
    ring->capacity = capacity;
    ring->mask = capacity - 1;
    ring->record_size = record_size;
    atomic_init(&ring->head, 0);
    atomic_init(&ring->tail, 0);
    *out = ring;
    return ACD_OK;
}

void acd_ring_free(AcdRing *ring)
{
    if (!ring)
        return;
    free(ring->records);
    free(ring);
}

ACD_REALTIME size_t acd_ring_capacity(const AcdRing *ring)
{
    return ring->capacity;
}

ACD_REALTIME size_t acd_ring_write_space(const AcdRing *ring)
{
    /* Our own index needs no ordering; the reader's needs acquire so that its
     * copy out of a slot happens before we overwrite that slot. */
    size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    return ring->capacity - (head - tail);
}

ACD_REALTIME AcdStatus acd_ring_write(AcdRing *ring, const void *record)
{
    size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (head - tail >= ring->capacity)
        return ACD_ERR_FULL;
    memcpy(ring->records + (head & ring->mask) * ring->record_size, record, ring->record_size);
    /* Release: the record's bytes become visible no later than the index. */
    atomic_store_explicit(&ring->head, head + 1, memory_order_release);
    return ACD_OK;
}

ACD_REALTIME size_t acd_ring_read_space(const AcdRing *ring)
{
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    return head - tail;
}

ACD_REALTIME AcdStatus acd_ring_peek(const AcdRing *ring, void *record)
{
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (head == tail)
        return ACD_ERR_EMPTY;
    memcpy(record, ring->records + (tail & ring->mask) * ring->record_size, ring->record_size);
    return ACD_OK;
}

ACD_REALTIME void acd_ring_skip(AcdRing *ring)
{
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (head == tail)
        return;
    /* Release: our copy out of the slot is done before the writer may reuse it. */
    atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
}

ACD_REALTIME AcdStatus acd_ring_read(AcdRing *ring, void *record)
{
    AcdStatus st = acd_ring_peek(ring, record);
    if (st == ACD_OK)
        acd_ring_skip(ring);
    return st;
}

void acd_ring_reset(AcdRing *ring)
{
    atomic_store_explicit(&ring->head, 0, memory_order_relaxed);
    atomic_store_explicit(&ring->tail, 0, memory_order_relaxed);
}
