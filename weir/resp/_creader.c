/*
 * The request reader in C: what Redis's processMultibulkBuffer does, with the
 * errors of weir.resp.parser.PyRequestParser (the reference it is tested
 * against). Inline commands are split by the Python split_inline, so their
 * quoting rules live in one place.
 *
 * A multibulk request is parsed as bytes arrive: the arguments read so far
 * are kept, so a request of a million arguments sent in small reads is
 * parsed once, not once per read. Its bytes stay buffered until it is
 * complete, so the query-buffer limit counts them as the reference does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    char *buf;
    Py_ssize_t len;      /* bytes in buf */
    Py_ssize_t cap;
    Py_ssize_t start;    /* where the request being read begins */
    Py_ssize_t pos;      /* how far it has been read */
    PyObject *argv;      /* its arguments so far, or NULL before its header */
    Py_ssize_t missing;  /* arguments still to read */
    PyObject *limits;    /* weir.resp.parser.ParserLimits, read at every feed */
    PyObject *split_inline;
    PyObject *make_error;  /* text -> the RemoteProtocolError to report */
    PyObject *error_class; /* RemoteProtocolError, which split_inline raises */
    PyObject *error;     /* RemoteProtocolError once the stream is broken, else None */
    /* The parser's fixed bounds, given by weir.resp.parser so they live in one place. */
    long long inline_max, count_max, unauth_count_max, unauth_bulk_max;
} Reader;

static PyObject *str_proto_bulk, *str_query_buffer, *str_authenticated;

/* PyRequestParser._parse_count: optional '-', digits, no leading zero. 0 on a bad
 * number; a number past the int64 range saturates (every check then refuses it). */
static int parse_count(const char *p, Py_ssize_t n, long long *out) {
    int negative = 0;
    if (n <= 0 || n > 20) return 0;
    if (*p == '-') { negative = 1; p++; n--; }
    if (n == 0 || (n > 1 && *p == '0')) return 0;
    unsigned long long value = 0;
    int saturated = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        if (value > (ULLONG_MAX - 9) / 10) saturated = 1;
        else value = value * 10 + (unsigned long long)(p[i] - '0');
    }
    if (saturated || value > (unsigned long long)LLONG_MAX) *out = negative ? LLONG_MIN : LLONG_MAX;
    else *out = negative ? -(long long)value : (long long)value;
    return 1;
}

/* Set self->error from the text (a new reference, consumed); 0, or -1 on a Python error. */
static int fail_with(Reader *self, PyObject *text) {
    if (text == NULL) return -1;
    PyObject *error = PyObject_CallOneArg(self->make_error, text);
    Py_DECREF(text);
    if (error == NULL) return -1;
    Py_SETREF(self->error, error);
    return 0;
}

static int fail(Reader *self, const char *text) {
    return fail_with(self, PyUnicode_FromString(text));
}

static long long limit_of(Reader *self, PyObject *name, int *failed) {
    PyObject *value = PyObject_GetAttr(self->limits, name);
    if (value == NULL) { *failed = 1; return 0; }
    long long result = PyLong_AsLongLong(value);
    Py_DECREF(value);
    if (result == -1 && PyErr_Occurred()) *failed = 1;
    return result;
}

static int authenticated(Reader *self) {
    PyObject *value = PyObject_GetAttr(self->limits, str_authenticated);
    if (value == NULL) return -1;
    int result = PyObject_IsTrue(value);
    Py_DECREF(value);
    return result;
}

static const char *find_crlf(const char *from, const char *end) {
    while (from < end) {
        const char *cr = memchr(from, '\r', (size_t)(end - from));
        if (cr == NULL || cr + 1 >= end) return NULL;
        if (cr[1] == '\n') return cr;
        from = cr + 1;
    }
    return NULL;
}

/* One request from self->buf. 1: read (*argv set; an empty request gives NULL),
 * 0: more bytes needed, -2: protocol error (self->error set), -1: Python error. */
static int next_request(Reader *self, long long bulk_max, PyObject **argv) {
    const char *buf = self->buf, *end = self->buf + self->len;
    *argv = NULL;
    if (self->argv == NULL) {
        const char *p = buf + self->start;
        if (*p != '*') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) {
                if (end - p > self->inline_max) return fail(self, "too big inline request") ? -1 : -2;
                return 0;
            }
            PyObject *line = PyBytes_FromStringAndSize(p, nl - p);
            if (line == NULL) return -1;
            PyObject *args = PyObject_CallOneArg(self->split_inline, line);
            Py_DECREF(line);
            self->start = self->pos = (nl - buf) + 1;
            if (args == NULL) {
                /* split_inline raises RemoteProtocolError for bad quoting */
                PyObject *type, *value, *tb;
                PyErr_Fetch(&type, &value, &tb);
                PyErr_NormalizeException(&type, &value, &tb);
                if (value != NULL && PyObject_IsInstance(value, self->error_class) == 1) {
                    Py_XDECREF(type);
                    Py_XDECREF(tb);
                    Py_SETREF(self->error, value);
                    return -2;
                }
                PyErr_Restore(type, value, tb);
                return -1;
            }
            if (PyList_GET_SIZE(args) == 0) { Py_DECREF(args); return 1; }
            *argv = args;
            return 1;
        }
        const char *cr = find_crlf(p, end);
        if (cr == NULL) {
            if (end - p > self->inline_max) return fail(self, "too big mbulk count string") ? -1 : -2;
            return 0;
        }
        long long count;
        if (!parse_count(p + 1, cr - p - 1, &count) || count > self->count_max)
            return fail(self, "invalid multibulk length") ? -1 : -2;
        if (count > self->unauth_count_max) {
            int auth = authenticated(self);
            if (auth < 0) return -1;
            if (!auth) return fail(self, "unauthenticated multibulk length") ? -1 : -2;
        }
        self->pos = (cr - buf) + 2;
        if (count <= 0) { self->start = self->pos; return 1; }
        /* Not sized by the header: a huge count costs memory only as arguments arrive. */
        self->argv = PyList_New(0);
        if (self->argv == NULL) return -1;
        self->missing = (Py_ssize_t)count;
    }
    while (self->missing > 0) {
        const char *p = buf + self->pos;
        if (p >= end) return 0;
        const char *cr = find_crlf(p, end);
        if (cr == NULL) {
            if (end - p > self->inline_max) return fail(self, "too big bulk count string") ? -1 : -2;
            return 0;
        }
        if (*p != '$') {
            /* As Python's chr(byte): a byte past ASCII names the code point it is. */
            PyObject *text = PyUnicode_FromFormat("expected '$', got '%c'", (int)(unsigned char)*p);
            return fail_with(self, text) ? -1 : -2;
        }
        long long size;
        if (!parse_count(p + 1, cr - p - 1, &size) || size < 0 || size > bulk_max)
            return fail(self, "invalid bulk length") ? -1 : -2;
        if (size > self->unauth_bulk_max) {
            int auth = authenticated(self);
            if (auth < 0) return -1;
            if (!auth) return fail(self, "unauthenticated bulk length") ? -1 : -2;
        }
        const char *data = cr + 2;
        if (end - data < size + 2) return 0;
        PyObject *arg = PyBytes_FromStringAndSize(data, (Py_ssize_t)size);
        if (arg == NULL) return -1;
        int appended = PyList_Append(self->argv, arg);
        Py_DECREF(arg);
        if (appended < 0) return -1;
        self->pos = (data - buf) + size + 2;
        self->missing--;
    }
    *argv = self->argv;
    self->argv = NULL;
    self->start = self->pos;
    return 1;
}

static void reset_buffer(Reader *self) {
    self->len = self->start = self->pos = 0;
    Py_CLEAR(self->argv);
    self->missing = 0;
}

static PyObject *Reader_feed(Reader *self, PyObject *arg) {
    Py_buffer view;
    if (self->error != Py_None) return PyList_New(0);
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    int failed = 0;
    long long bulk_max = limit_of(self, str_proto_bulk, &failed);
    long long query_max = failed ? 0 : limit_of(self, str_query_buffer, &failed);
    if (failed) { PyBuffer_Release(&view); return NULL; }
    /* Drop what earlier reads consumed before growing. */
    if (self->start > 0 && (self->start == self->len || self->len + view.len > self->cap)) {
        memmove(self->buf, self->buf + self->start, (size_t)(self->len - self->start));
        self->len -= self->start;
        self->pos -= self->start;
        self->start = 0;
    }
    if (self->len + view.len > self->cap) {
        Py_ssize_t cap = self->cap ? self->cap : 4096;
        while (cap < self->len + view.len) cap *= 2;
        char *grown = PyMem_Realloc(self->buf, (size_t)cap);
        if (grown == NULL) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
        self->buf = grown;
        self->cap = cap;
    }
    memcpy(self->buf + self->len, view.buf, (size_t)view.len);
    self->len += view.len;
    PyBuffer_Release(&view);

    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    while (self->start < self->len) {
        PyObject *argv;
        int status = next_request(self, bulk_max, &argv);
        if (status == 1) {
            if (argv != NULL) {
                int appended = PyList_Append(out, argv);
                Py_DECREF(argv);
                if (appended < 0) { Py_DECREF(out); return NULL; }
            }
            continue;
        }
        if (status == 0) break;
        if (status == -2) { reset_buffer(self); return out; }
        Py_DECREF(out);
        return NULL;
    }
    if (self->len - self->start > query_max) {
        reset_buffer(self);
        if (fail(self, "query buffer limit exceeded") < 0) { Py_DECREF(out); return NULL; }
    }
    if (self->start == self->len && self->cap > 65536) {
        /* An idle connection does not keep a big buffer from one large request. */
        PyMem_Free(self->buf);
        self->buf = NULL;
        self->cap = self->len = self->start = self->pos = 0;
    }
    return out;
}

static PyObject *Reader_buffered_bytes(Reader *self, void *closure) {
    return PyLong_FromSsize_t(self->len - self->start);
}

static PyObject *Reader_spare_bytes(Reader *self, void *closure) {
    return PyLong_FromSsize_t(self->cap - self->len);
}

static int Reader_init(Reader *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"limits", "split_inline", "make_error", "error_class", "bounds", NULL};
    PyObject *limits, *split_inline, *make_error, *error_class;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO(LLLL)", names, &limits, &split_inline,
                                     &make_error, &error_class, &self->inline_max, &self->count_max,
                                     &self->unauth_count_max, &self->unauth_bulk_max))
        return -1;
    Py_INCREF(error_class);
    Py_XSETREF(self->error_class, error_class);
    Py_INCREF(limits);
    Py_XSETREF(self->limits, limits);
    Py_INCREF(split_inline);
    Py_XSETREF(self->split_inline, split_inline);
    Py_INCREF(make_error);
    Py_XSETREF(self->make_error, make_error);
    Py_INCREF(Py_None);
    Py_XSETREF(self->error, Py_None);
    return 0;
}

static int Reader_traverse(Reader *self, visitproc visit, void *arg) {
    Py_VISIT(self->argv);
    Py_VISIT(self->limits);
    Py_VISIT(self->split_inline);
    Py_VISIT(self->make_error);
    Py_VISIT(self->error_class);
    Py_VISIT(self->error);
    return 0;
}

static int Reader_clear(Reader *self) {
    Py_CLEAR(self->argv);
    Py_CLEAR(self->limits);
    Py_CLEAR(self->split_inline);
    Py_CLEAR(self->make_error);
    Py_CLEAR(self->error_class);
    Py_CLEAR(self->error);
    return 0;
}

static void Reader_dealloc(Reader *self) {
    PyObject_GC_UnTrack(self);
    Reader_clear(self);
    PyMem_Free(self->buf);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Reader_methods[] = {
    {"feed", (PyCFunction)Reader_feed, METH_O, "Feed bytes; returns the complete requests (argv lists)."},
    {NULL},
};

static PyMemberDef Reader_members[] = {
    {"error", T_OBJECT, offsetof(Reader, error), READONLY, "The protocol error that ended the stream, or None."},
    {"limits", T_OBJECT, offsetof(Reader, limits), READONLY, "The ParserLimits read at every feed."},
    {NULL},
};

static PyGetSetDef Reader_getset[] = {
    {"buffered_bytes", (getter)Reader_buffered_bytes, NULL, "Bytes of the request not yet complete.", NULL},
    {"spare_bytes", (getter)Reader_spare_bytes, NULL, "Bytes the buffer holds room for beyond what it holds.", NULL},
    {NULL},
};

static PyTypeObject ReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "weir.resp._creader.Reader",
    .tp_basicsize = sizeof(Reader),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "RESP request reader: Redis's multibulk parsing, the reference parser's errors.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Reader_init,
    .tp_dealloc = (destructor)Reader_dealloc,
    .tp_traverse = (traverseproc)Reader_traverse,
    .tp_clear = (inquiry)Reader_clear,
    .tp_methods = Reader_methods,
    .tp_members = Reader_members,
    .tp_getset = Reader_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weir.resp._creader", "The RESP request reader in C.", -1, NULL,
};

PyMODINIT_FUNC PyInit__creader(void) {
    str_proto_bulk = PyUnicode_InternFromString("proto_bulk_bytes_max");
    str_query_buffer = PyUnicode_InternFromString("query_buffer_bytes_max");
    str_authenticated = PyUnicode_InternFromString("authenticated");
    if (!str_proto_bulk || !str_query_buffer || !str_authenticated) return NULL;
    if (PyType_Ready(&ReaderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ReaderType);
    if (PyModule_AddObject(m, "Reader", (PyObject *)&ReaderType) < 0) {
        Py_DECREF(&ReaderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
