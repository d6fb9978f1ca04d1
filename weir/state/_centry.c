/*
 * Command entries packed in C: the bytes msgpack.Packer().pack gives for
 * (version, ts, db, argvs, multi), written in one pass into one bytes object.
 * Every write packs one entry, and msgpack's generic packer spent more time
 * choosing how to pack than packing. weir.state.entry uses msgpack itself
 * when this module is not built, and for anything but lists of bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    char *p;
} Out;

static void put_be(Out *out, unsigned long long value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) *out->p++ = (char)((value >> shift) & 0xff);
}

/* Bytes msgpack takes for an int (uint formats for >= 0, as msgpack-python does). */
static Py_ssize_t int_size(long long value) {
    if (value >= 0) {
        if (value < 128) return 1;
        if (value < 256) return 2;
        if (value < 65536) return 3;
        if (value <= 0xffffffffLL) return 5;
        return 9;
    }
    if (value >= -32) return 1;
    if (value >= -128) return 2;
    if (value >= -32768) return 3;
    if (value >= -2147483648LL) return 5;
    return 9;
}

static void put_int(Out *out, long long value) {
    if (value >= 0) {
        if (value < 128) { *out->p++ = (char)value; return; }
        if (value < 256) { *out->p++ = (char)0xcc; put_be(out, (unsigned long long)value, 1); return; }
        if (value < 65536) { *out->p++ = (char)0xcd; put_be(out, (unsigned long long)value, 2); return; }
        if (value <= 0xffffffffLL) { *out->p++ = (char)0xce; put_be(out, (unsigned long long)value, 4); return; }
        *out->p++ = (char)0xcf; put_be(out, (unsigned long long)value, 8);
        return;
    }
    if (value >= -32) { *out->p++ = (char)(0xe0 | (value & 0x1f)); return; }
    if (value >= -128) { *out->p++ = (char)0xd0; put_be(out, (unsigned long long)value, 1); return; }
    if (value >= -32768) { *out->p++ = (char)0xd1; put_be(out, (unsigned long long)value, 2); return; }
    if (value >= -2147483648LL) { *out->p++ = (char)0xd2; put_be(out, (unsigned long long)value, 4); return; }
    *out->p++ = (char)0xd3; put_be(out, (unsigned long long)value, 8);
}

static Py_ssize_t array_header_size(Py_ssize_t count) {
    return count < 16 ? 1 : count < 65536 ? 3 : 5;
}

static void put_array_header(Out *out, Py_ssize_t count) {
    if (count < 16) { *out->p++ = (char)(0x90 | count); return; }
    if (count < 65536) { *out->p++ = (char)0xdc; put_be(out, (unsigned long long)count, 2); return; }
    *out->p++ = (char)0xdd; put_be(out, (unsigned long long)count, 4);
}

static Py_ssize_t bin_size(Py_ssize_t n) {
    return (n < 256 ? 2 : n < 65536 ? 3 : 5) + n;
}

static void put_bin(Out *out, PyObject *item) {
    Py_ssize_t n = PyBytes_GET_SIZE(item);
    if (n < 256) { *out->p++ = (char)0xc4; put_be(out, (unsigned long long)n, 1); }
    else if (n < 65536) { *out->p++ = (char)0xc5; put_be(out, (unsigned long long)n, 2); }
    else { *out->p++ = (char)0xc6; put_be(out, (unsigned long long)n, 4); }
    memcpy(out->p, PyBytes_AS_STRING(item), (size_t)n);
    out->p += n;
}

/* An int in the int64 range, or 0 with no error set if it is something else. */
static int get_int64(PyObject *value, long long *out) {
    if (!PyLong_CheckExact(value)) return 0;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || (*out == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* pack_command(version, ts, db, argvs, multi) -> bytes | None (None: use msgpack). */
static PyObject *pack_command(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "pack_command(version, ts, db, argvs, multi) takes 5 arguments");
        return NULL;
    }
    long long version, ts, db;
    PyObject *argvs = args[3], *multi = args[4];
    if (!get_int64(args[0], &version) || !get_int64(args[1], &ts) || !get_int64(args[2], &db) ||
        !PyList_CheckExact(argvs) || !PyBool_Check(multi) || PyList_GET_SIZE(argvs) > 0xffffffffLL) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyList_GET_SIZE(argvs);
    Py_ssize_t total = 1 + int_size(version) + int_size(ts) + int_size(db) + array_header_size(count) + 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *argv = PyList_GET_ITEM(argvs, i);
        if (!PyList_CheckExact(argv) || PyList_GET_SIZE(argv) > 0xffffffffLL) Py_RETURN_NONE;
        Py_ssize_t size = PyList_GET_SIZE(argv);
        total += array_header_size(size);
        for (Py_ssize_t j = 0; j < size; j++) {
            PyObject *item = PyList_GET_ITEM(argv, j);
            if (!PyBytes_CheckExact(item) || PyBytes_GET_SIZE(item) > 0xffffffffLL) Py_RETURN_NONE;
            total += bin_size(PyBytes_GET_SIZE(item));
        }
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) return NULL;
    Out out = {PyBytes_AS_STRING(result)};
    *out.p++ = (char)0x95;  /* a 5-element array */
    put_int(&out, version);
    put_int(&out, ts);
    put_int(&out, db);
    put_array_header(&out, count);
    /* Nothing below runs Python code, so the lists cannot change under us. */
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *argv = PyList_GET_ITEM(argvs, i);
        Py_ssize_t size = PyList_GET_SIZE(argv);
        put_array_header(&out, size);
        for (Py_ssize_t j = 0; j < size; j++) put_bin(&out, PyList_GET_ITEM(argv, j));
    }
    *out.p++ = (char)(multi == Py_True ? 0xc3 : 0xc2);
    return result;
}

static PyMethodDef methods[] = {
    {"pack_command", (PyCFunction)(void (*)(void))pack_command, METH_FASTCALL,
     "pack_command(version, ts, db, argvs, multi): msgpack bytes of the entry, or None."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.state._centry", "Command entries packed in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__centry(void) { return PyModule_Create(&module); }
