/*
 * Binary search over an array('d') of sorted scores, without making a float
 * object per step as the bisect module does on an array. weir.state.sortedlist
 * keeps each sublist's scores in such an array, so finding a member's place
 * reads contiguous doubles instead of a tuple and a float object per step;
 * without this module it uses the bisect module on the same arrays.
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

/* bisect(scores, x, lo, right): as bisect.bisect_left (right=0) or bisect_right from lo. */
static PyObject *bisect(PyObject *const *args, Py_ssize_t nargs, int right) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "takes (scores, x, lo)");
        return NULL;
    }
    double x = PyFloat_AsDouble(args[1]);
    if (x == -1.0 && PyErr_Occurred()) return NULL;
    Py_ssize_t lo = PyLong_AsSsize_t(args[2]);
    if (lo == -1 && PyErr_Occurred()) return NULL;
    Py_buffer view;
    if (get_doubles(args[0], &view) < 0) return NULL;
    const double *values = (const double *)view.buf;
    Py_ssize_t hi = view.len / (Py_ssize_t)sizeof(double);
    if (lo < 0) lo = 0;
    while (lo < hi) {
        Py_ssize_t middle = lo + (hi - lo) / 2;
        if (right ? !(x < values[middle]) : values[middle] < x) lo = middle + 1;
        else hi = middle;
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(lo);
}

static PyObject *bisect_left(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return bisect(args, nargs, 0);
}

static PyObject *bisect_right(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return bisect(args, nargs, 1);
}

static PyMethodDef methods[] = {
    {"bisect_left", (PyCFunction)(void (*)(void))bisect_left, METH_FASTCALL,
     "bisect_left(scores, x, lo): the first position from lo whose score is >= x."},
    {"bisect_right", (PyCFunction)(void (*)(void))bisect_right, METH_FASTCALL,
     "bisect_right(scores, x, lo): the first position from lo whose score is > x."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.state._cscores", "Binary search over arrays of scores.", -1, methods,
};

PyMODINIT_FUNC PyInit__cscores(void) { return PyModule_Create(&module); }
