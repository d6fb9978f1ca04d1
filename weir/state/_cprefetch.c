/*
 * Memory prefetch for commands that touch many keys (MSET, MGET, DEL ...).
 *
 * A lookup in a large keyspace dict misses the cache three or four times in a
 * row: the index slot, the entry, the stored key (to compare it) and the old
 * value (to release it). Done key by key, ten keys wait for forty misses one
 * after another; this walks the keys level by level and issues each level's
 * loads together, so ten keys wait for about four. The same idea as Redis 8's
 * memory_prefetch.c. It only reads and prefetches: the command then does its
 * ordinary dict operations, now on cached lines.
 *
 * The dict layout is CPython's own (internal/pycore_dict.h). On a version
 * whose layout this was not written for, prefetch_keys does nothing.
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

static void prefetch_round(PyDictObject *dict, PyObject *const *items, Py_ssize_t count, Py_ssize_t step) {
    PyDictKeysObject *keys = dict->ma_keys;
    size_t mask = ((size_t)1 << keys->dk_log2_size) - 1;
    size_t slots[ROUND];
    Py_ssize_t found[ROUND];
    char *entries = keys->dk_indices + ((size_t)1 << keys->dk_log2_index_bytes);
    int unicode = keys->dk_kind != DICT_KEYS_GENERAL;
    Py_ssize_t n = 0;

    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = items[i * step];
        Py_hash_t hash = PyObject_Hash(key);  /* bytes cache their hash: the dict op reuses it */
        if (hash == -1) {
            PyErr_Clear();  /* unhashable: the command's own dict op reports it */
            continue;
        }
        slots[n] = (size_t)hash & mask;
        __builtin_prefetch(keys->dk_indices + (slots[n] << (keys->dk_log2_index_bytes - keys->dk_log2_size)));
        n++;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        found[i] = index_at(keys, slots[i]);
        if (found[i] >= 0)
            __builtin_prefetch(entries + found[i] * (unicode ? sizeof(PyDictUnicodeEntry) : sizeof(PyDictKeyEntry)));
    }
    for (Py_ssize_t i = 0; i < n; i++) {
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
        if (key != NULL) {
            __builtin_prefetch(key);
            /* A bytes key's characters start 32 bytes in: often on the next line. */
            __builtin_prefetch((char *)key + 48);
        }
        if (value != NULL) __builtin_prefetch(value);
    }
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
    PyDictObject *dict = (PyDictObject *)args[0];
    Py_ssize_t size = PyList_GET_SIZE(args[1]);
    /* A small dict is cached already; a split dict keeps its values elsewhere. */
    if (dict->ma_values == NULL && dict->ma_used >= 4096 && start < size) {
        PyObject *const *items = ((PyListObject *)args[1])->ob_item + start;
        Py_ssize_t count = (size - start + step - 1) / step;
        for (Py_ssize_t done = 0; done < count; done += ROUND) {
            Py_ssize_t todo = count - done < ROUND ? count - done : ROUND;
            prefetch_round(dict, items + done * step, todo, step);
        }
    }
#endif
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"prefetch_keys", (PyCFunction)(void (*)(void))prefetch_keys, METH_FASTCALL,
     "prefetch_keys(dict, items, start, step): prefetch dict's lines for the keys items[start::step]."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.state._cprefetch", "Memory prefetch for multi-key commands.", -1, methods,
};

PyMODINIT_FUNC PyInit__cprefetch(void) { return PyModule_Create(&module); }
