/*
 * Reply encoding in C for the one shape that is costly in Python: an array of
 * bulk strings (LRANGE, ZRANGE, SMEMBERS, MGET, KEYS ...). Python builds it
 * as three pieces per element and a join; here it is one size pass and one
 * copy into a single bytes object. weir.resp.encoder falls back to its Python
 * path for any other element and when this module is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* Digits of n >= 0. */
static Py_ssize_t digits(Py_ssize_t n) {
    Py_ssize_t count = 1;
    while (n >= 10) { n /= 10; count++; }
    return count;
}

/* Write n >= 0 in decimal at p; returns the end. */
static char *put_count(char *p, Py_ssize_t n) {
    Py_ssize_t width = digits(n);
    char *end = p + width;
    char *q = end;
    do { *--q = (char)('0' + n % 10); n /= 10; } while (n);
    return end;
}

/* bulk_array(head, items, null) -> bytes | None
 *
 * `head` (1 byte: '*', '~' or '>') starts the aggregate of len(items) elements;
 * each bytes element is a bulk string and each None is `null`. Returns None if
 * an element is anything else, so the caller encodes the array itself. */
static PyObject *bulk_array(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "bulk_array(head, items, null) takes 3 arguments");
        return NULL;
    }
    PyObject *head = args[0], *items = args[1], *null = args[2];
    if (!PyBytes_Check(head) || PyBytes_GET_SIZE(head) != 1 || !PyBytes_Check(null)) {
        PyErr_SetString(PyExc_TypeError, "bulk_array: head must be 1 byte and null bytes");
        return NULL;
    }
    PyObject **elements;
    Py_ssize_t count;
    if (PyList_CheckExact(items)) {
        elements = PySequence_Fast_ITEMS(items);
        count = PyList_GET_SIZE(items);
    } else if (PyTuple_CheckExact(items)) {
        elements = PySequence_Fast_ITEMS(items);
        count = PyTuple_GET_SIZE(items);
    } else {
        Py_RETURN_NONE;
    }
    Py_ssize_t null_size = PyBytes_GET_SIZE(null);
    Py_ssize_t total = 1 + digits(count) + 2;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = elements[i];
        if (PyBytes_CheckExact(item)) {
            Py_ssize_t n = PyBytes_GET_SIZE(item);
            total += 1 + digits(n) + 2 + n + 2;
        } else if (item == Py_None) {
            total += null_size;
        } else {
            Py_RETURN_NONE;
        }
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, total);
    if (out == NULL) return NULL;
    char *p = PyBytes_AS_STRING(out);
    *p++ = PyBytes_AS_STRING(head)[0];
    p = put_count(p, count);
    *p++ = '\r'; *p++ = '\n';
    /* The list cannot change here: nothing below runs Python code. */
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = elements[i];
        if (item == Py_None) {
            memcpy(p, PyBytes_AS_STRING(null), (size_t)null_size);
            p += null_size;
            continue;
        }
        Py_ssize_t n = PyBytes_GET_SIZE(item);
        *p++ = '$';
        p = put_count(p, n);
        *p++ = '\r'; *p++ = '\n';
        memcpy(p, PyBytes_AS_STRING(item), (size_t)n);
        p += n;
        *p++ = '\r'; *p++ = '\n';
    }
    return out;
}

static PyMethodDef methods[] = {
    {"bulk_array", (PyCFunction)(void (*)(void))bulk_array, METH_FASTCALL,
     "bulk_array(head, items, null): an aggregate of bulk strings and nulls as RESP, or None."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.resp._cwriter", "RESP reply encoding in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__cwriter(void) { return PyModule_Create(&module); }
