/*
 * Memory prefetch for commands that touch many keys (MSET, MGET, DEL ...) and for
 * pipelined batches.
 *
 * A lookup in a large keyspace dict misses the cache three or four times in a
 * row: the index slot, the entry, the stored key (to compare it) and the old
 * value (to release it). Done key by key, ten keys wait for forty misses one
 * after another; this walks the keys level by level and issues each level's
 * loads together, so ten keys wait for about four. The same idea as Redis 8's
 * memory_prefetch.c. It only reads and prefetches: the command then does its
 * ordinary dict operations, now on cached lines.
 *
 * prefetch_frames does the same across a pipelined batch: the first key of
 * each command, so sixteen pipelined GETs wait for their misses together.
 * record_accesses writes, but only the access-time dict (OBJECT IDLETIME): it
 * settles the keys reads have listed, with the same overlapped misses.
 *
 * The dict layout is CPython's own (internal/pycore_dict.h). On a version
 * whose layout this was not written for, both functions do nothing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000 && defined(__GNUC__)
#define WEIR_PREFETCH 1
#define Py_BUILD_CORE 1
#include "internal/pycore_dict.h"
#endif

/* Keys handled per round: enough to overlap the misses, few enough to stay on the stack. */
#define ROUND 16

#ifdef WEIR_PREFETCH
static Py_ssize_t index_at(PyDictKeysObject *keys, size_t slot) {
    switch (keys->dk_log2_index_bytes - keys->dk_log2_size) {
    case 0: return ((const int8_t *)keys->dk_indices)[slot];
    case 1: return ((const int16_t *)keys->dk_indices)[slot];
    case 2: return ((const int32_t *)keys->dk_indices)[slot];
    default: return (Py_ssize_t)((const int64_t *)keys->dk_indices)[slot];
    }
}

/* Prefetch, level by level, what looking up each of keys[0..n) in dict will read. */
static void prefetch_round(PyDictObject *dict, PyObject **keys, Py_ssize_t n) {
    PyDictKeysObject *dk = dict->ma_keys;
    size_t mask = ((size_t)1 << dk->dk_log2_size) - 1;
    int width = dk->dk_log2_index_bytes - dk->dk_log2_size;
    char *entries = dk->dk_indices + ((size_t)1 << dk->dk_log2_index_bytes);
    int unicode = dk->dk_kind != DICT_KEYS_GENERAL;
    size_t slots[ROUND];
    Py_ssize_t found[ROUND];
    Py_ssize_t m = 0;

    for (Py_ssize_t i = 0; i < n; i++) {
        /* Bytes and str only: their hash runs no Python code (which could change the
         * lists read here) and is cached, so the command's own dict op reuses it. */
        if (!PyBytes_CheckExact(keys[i]) && !PyUnicode_CheckExact(keys[i])) continue;
        Py_hash_t hash = PyObject_Hash(keys[i]);
        if (hash == -1) {
            PyErr_Clear();
            continue;
        }
        slots[m] = (size_t)hash & mask;
        __builtin_prefetch(dk->dk_indices + (slots[m] << width));
        m++;
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        found[i] = index_at(dk, slots[i]);
        if (found[i] >= 0)
            __builtin_prefetch(entries + found[i] * (unicode ? sizeof(PyDictUnicodeEntry) : sizeof(PyDictKeyEntry)));
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        if (found[i] < 0) continue;
        PyObject *key, *value;
        if (unicode) {
            PyDictUnicodeEntry *entry = &((PyDictUnicodeEntry *)entries)[found[i]];
            key = entry->me_key;
            value = entry->me_value;
        } else {
            PyDictKeyEntry *entry = &((PyDictKeyEntry *)entries)[found[i]];
            key = entry->me_key;
            value = entry->me_value;
        }
        /* A bytes object's characters start 32 bytes in: often on the next line. */
        if (key != NULL) {
            __builtin_prefetch(key);
            __builtin_prefetch((char *)key + 48);
        }
        if (value != NULL) {
            __builtin_prefetch(value);
            __builtin_prefetch((char *)value + 48);
        }
    }
}

/* Keys gathered for one round; a full round is prefetched at once. */
typedef struct {
    PyDictObject *dict;
    PyObject *keys[ROUND];
    Py_ssize_t n;
} Batch;

static void batch_add(Batch *batch, PyObject *key) {
    batch->keys[batch->n++] = key;
    if (batch->n == ROUND) {
        prefetch_round(batch->dict, batch->keys, batch->n);
        batch->n = 0;
    }
}

static void batch_end(Batch *batch) {
    if (batch->n) prefetch_round(batch->dict, batch->keys, batch->n);
}

/* Worth it only where the dict has outgrown the cache; split dicts keep values elsewhere. */
static int worth_prefetching(PyObject *dict) {
    return ((PyDictObject *)dict)->ma_values == NULL && ((PyDictObject *)dict)->ma_used >= 4096;
}
#endif

/* prefetch_keys(dict, items, start, step): prefetch for items[start::step] as keys of dict. */
static PyObject *prefetch_keys(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyDict_CheckExact(args[0]) || !PyList_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "prefetch_keys(dict, list, start, step)");
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[2]);
    Py_ssize_t step = PyLong_AsSsize_t(args[3]);
    if ((start == -1 || step == -1) && PyErr_Occurred()) return NULL;
    if (start < 0 || step < 1) {
        PyErr_SetString(PyExc_ValueError, "prefetch_keys: start >= 0 and step >= 1");
        return NULL;
    }
#ifdef WEIR_PREFETCH
    if (!worth_prefetching(args[0])) Py_RETURN_NONE;
    Batch batch = {.dict = (PyDictObject *)args[0], .n = 0};
    for (Py_ssize_t i = start; i < PyList_GET_SIZE(args[1]); i += step) batch_add(&batch, PyList_GET_ITEM(args[1], i));
    batch_end(&batch);
#endif
    Py_RETURN_NONE;
}

/* prefetch_frames(dict, frames): prefetch for frame[1] of each argv list in frames, the
 * key of most commands, before a pipelined batch runs. */
static PyObject *prefetch_frames(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyDict_CheckExact(args[0]) || !PyList_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "prefetch_frames(dict, list)");
        return NULL;
    }
#ifdef WEIR_PREFETCH
    if (!worth_prefetching(args[0])) Py_RETURN_NONE;
    Batch batch = {.dict = (PyDictObject *)args[0], .n = 0};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(args[1]); i++) {
        PyObject *frame = PyList_GET_ITEM(args[1], i);
        if (PyList_CheckExact(frame) && PyList_GET_SIZE(frame) >= 2) batch_add(&batch, PyList_GET_ITEM(frame, 1));
    }
    batch_end(&batch);
#endif
    Py_RETURN_NONE;
}

/* record_accesses(data, access, keys, clock): access[key] = clock for each key of the list
 * keys that data still holds, then empty keys. Reads append their keys to such a list
 * (one list append, no cache miss); this settles a whole batch of them at once, with
 * the access dict's lines prefetched a round at a time so the misses overlap. */
static PyObject *record_accesses(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyDict_CheckExact(args[0]) || !PyDict_CheckExact(args[1]) || !PyList_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "record_accesses(dict, dict, list, clock)");
        return NULL;
    }
    PyObject *data = args[0], *access = args[1], *keys = args[2], *clock = args[3];
    /* The list is taken whole first: nothing that runs below (a key's __eq__) can change it. */
    PyObject *taken = PyList_GetSlice(keys, 0, PyList_GET_SIZE(keys));
    if (taken == NULL || PyList_SetSlice(keys, 0, PyList_GET_SIZE(keys), NULL) < 0) {
        Py_XDECREF(taken);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(taken);
    PyObject **items = &PyList_GET_ITEM(taken, 0);
    for (Py_ssize_t start = 0; start < n; start += ROUND) {
        Py_ssize_t count = n - start < ROUND ? n - start : ROUND;
#ifdef WEIR_PREFETCH
        /* Only the access dict: the server settles a loop pass's keys at its end, when
         * the keyspace lines the commands just touched are still cached. */
        if (worth_prefetching(access)) prefetch_round((PyDictObject *)access, items + start, count);
#endif
        for (Py_ssize_t i = start; i < start + count; i++) {
            int held = PyDict_Contains(data, items[i]);
            if (held < 0 || (held && PyDict_SetItem(access, items[i], clock) < 0)) {
                Py_DECREF(taken);
                return NULL;
            }
        }
    }
    Py_DECREF(taken);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"prefetch_keys", (PyCFunction)(void (*)(void))prefetch_keys, METH_FASTCALL,
     "prefetch_keys(dict, items, start, step): prefetch dict's lines for the keys items[start::step]."},
    {"prefetch_frames", (PyCFunction)(void (*)(void))prefetch_frames, METH_FASTCALL,
     "prefetch_frames(dict, frames): prefetch dict's lines for frame[1] of each argv in frames."},
    {"record_accesses", (PyCFunction)(void (*)(void))record_accesses, METH_FASTCALL,
     "record_accesses(data, access, keys, clock): access[k] = clock for each k in keys that data holds; empties keys."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.state._cprefetch", "Memory prefetch for multi-key commands.", -1, methods,
};

PyMODINIT_FUNC PyInit__cprefetch(void) { return PyModule_Create(&module); }
