/*
 * Binary search over a sorted-set sublist: its (score, member) tuples and the
 * array('d') of their scores that weir.state.sortedlist keeps beside them.
 * Scores are searched as contiguous doubles, members compared with memcmp and
 * only where scores tie; comparing tuples read a tuple and a float object per
 * step, scattered in memory. Without this module, sortedlist does the same
 * with the bisect module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* The doubles of `scores` (an array('d')), or -1 with an error set. */
static int get_doubles(PyObject *scores, Py_buffer *view) {
    if (PyObject_GetBuffer(scores, view, PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != sizeof(double) || view->format == NULL || strcmp(view->format, "d") != 0) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "scores must be an array('d')");
        return -1;
    }
    return 0;
}

/* First position in values[lo:hi] whose score is > x (right) or >= x. */
static Py_ssize_t search_scores(const double *values, Py_ssize_t lo, Py_ssize_t hi, double x, int right) {
    while (lo < hi) {
        Py_ssize_t middle = lo + (hi - lo) / 2;
        if (right ? !(x < values[middle]) : values[middle] < x) lo = middle + 1;
        else hi = middle;
    }
    return lo;
}

/* -1, 0 or 1 as member a sorts before, with or after b; -2 with an error set. */
static int compare_members(PyObject *a, PyObject *b) {
    if (PyBytes_CheckExact(a) && PyBytes_CheckExact(b)) {
        Py_ssize_t na = PyBytes_GET_SIZE(a), nb = PyBytes_GET_SIZE(b);
        int c = memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b), (size_t)(na < nb ? na : nb));
        if (c != 0) return c < 0 ? -1 : 1;
        return na < nb ? -1 : na > nb ? 1 : 0;
    }
    int less = PyObject_RichCompareBool(a, b, Py_LT);
    if (less < 0) return -2;
    if (less) return -1;
    int equal = PyObject_RichCompareBool(a, b, Py_EQ);
    if (equal < 0) return -2;
    return equal ? 0 : 1;
}

/* bisect_pairs(scores, items, item, right): bisect.bisect_left (or _right) of the
 * (score, member) tuple `item` in `items`, a sorted list of such tuples whose scores
 * are `scores` (an array('d')). Scores are searched as doubles; members are compared
 * only among items whose score equals item's. */
static PyObject *bisect_pairs(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "bisect_pairs(scores, items, item, right) takes 4 arguments");
        return NULL;
    }
    PyObject *items = args[1], *item = args[2];
    int right = PyObject_IsTrue(args[3]);
    if (right < 0) return NULL;
    if (!PyList_CheckExact(items) || !PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "bisect_pairs: items must be a list and item a (score, member) tuple");
        return NULL;
    }
    double x = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 0));
    if (x == -1.0 && PyErr_Occurred()) return NULL;
    PyObject *member = PyTuple_GET_ITEM(item, 1);
    Py_buffer view;
    if (get_doubles(args[0], &view) < 0) return NULL;
    Py_ssize_t count = view.len / (Py_ssize_t)sizeof(double);
    if (count != PyList_GET_SIZE(items)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "bisect_pairs: scores and items differ in length");
        return NULL;
    }
    const double *values = (const double *)view.buf;
    Py_ssize_t lo = search_scores(values, 0, count, x, 0);
    Py_ssize_t hi = search_scores(values, lo, count, x, 1);
    PyBuffer_Release(&view);
    /* Among the tied scores, by member; items may not change meanwhile (no Python runs
     * for bytes members; for others, a comparison could, so re-check bounds). */
    while (lo < hi) {
        if (hi > PyList_GET_SIZE(items)) {
            PyErr_SetString(PyExc_RuntimeError, "bisect_pairs: items changed during the search");
            return NULL;
        }
        Py_ssize_t middle = lo + (hi - lo) / 2;
        PyObject *current = PyList_GET_ITEM(items, middle);
        if (!PyTuple_CheckExact(current) || PyTuple_GET_SIZE(current) != 2) {
            PyErr_SetString(PyExc_TypeError, "bisect_pairs: items must be (score, member) tuples");
            return NULL;
        }
        Py_INCREF(current);
        int c = compare_members(PyTuple_GET_ITEM(current, 1), member);
        Py_DECREF(current);
        if (c == -2) return NULL;
        if (c < 0 || (right && c == 0)) lo = middle + 1;
        else hi = middle;
    }
    return PyLong_FromSsize_t(lo);
}

static PyMethodDef methods[] = {
    {"bisect_pairs", (PyCFunction)(void (*)(void))bisect_pairs, METH_FASTCALL,
     "bisect_pairs(scores, items, item, right): where the (score, member) item goes in items."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.state._cscores", "Binary search over arrays of scores.", -1, methods,
};

PyMODINIT_FUNC PyInit__cscores(void) { return PyModule_Create(&module); }
