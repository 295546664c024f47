/* The licence matcher's two inner loops, in C (trueopen.licenses.fulltext).
 *
 * Why C: identification of a real licence file is bound by these loops, each an operation per
 * word of the text (benchmarks/licenses.py, issue 14). In Python each step is a call through
 * map() costing 60-90 ns on the benchmark machine; here it is the dict lookup alone. numpy does
 * such lookups quickly too, but importing it costs an audit 0.07-0.13 s (measured), more than the
 * licence files of a release take to identify.
 *
 * Nothing here reads a file or allocates more than the inputs' size: the callers pass lists the
 * matcher built from the text, already bounded (fulltext.MAX_QUERY_TOKENS).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The hash CPython 3.8-3.13 gives a tuple (Objects/tupleobject.c, xxHash-based), over the item
 * hashes of one window: shingles() must give exactly hash(tuple(window)), the value the index
 * holds (tests/licenses/test_match_ext.py checks it against Python's own on every window). */
#if SIZEOF_PY_UHASH_T > 4
#define XXPRIME_1 ((Py_uhash_t)11400714785074694791ULL)
#define XXPRIME_2 ((Py_uhash_t)14029467366897019727ULL)
#define XXPRIME_5 ((Py_uhash_t)2870177450012600261ULL)
#define XXROTATE(x) ((x << 31) | (x >> 33))
#else
#define XXPRIME_1 ((Py_uhash_t)2654435761UL)
#define XXPRIME_2 ((Py_uhash_t)2246822519UL)
#define XXPRIME_5 ((Py_uhash_t)374761393UL)
#define XXROTATE(x) ((x << 13) | (x >> 19))
#endif

static Py_hash_t
window_hash(const Py_uhash_t *lanes, Py_ssize_t len)
{
    Py_uhash_t acc = XXPRIME_5;
    for (Py_ssize_t i = 0; i < len; i++) {
        acc += lanes[i] * XXPRIME_2;
        acc = XXROTATE(acc);
        acc *= XXPRIME_1;
    }
    acc += len ^ (XXPRIME_5 ^ 3527539UL);
    if (acc == (Py_uhash_t)-1) {
        return 1546275796;
    }
    return (Py_hash_t)acc;
}

PyDoc_STRVAR(shingles_doc,
"shingles(ids: list, width: int) -> list[int]\n\n"
"hash(tuple(ids[k:k + width])) for every k from 0 to len(ids) - width.");

static PyObject *
shingles(PyObject *self, PyObject *args)
{
    PyObject *ids;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "O!n:shingles", &PyList_Type, &ids, &width)) {
        return NULL;
    }
    if (width < 1 || width > 64) {
        PyErr_SetString(PyExc_ValueError, "width must be 1 to 64");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(ids);
    Py_ssize_t count = n >= width ? n - width + 1 : 0;
    if (count == 0) {
        return PyList_New(0);
    }
    /* The result list is made after the hashing: __hash__ may run Python code, which must never
     * see a list whose items are not set yet (gc.get_objects() would hand it out). */
    PyObject *out = NULL;
    Py_uhash_t *lanes = PyMem_Malloc(sizeof(Py_uhash_t) * (size_t)n);
    if (lanes == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        /* The list may not change under us: PyObject_Hash of an int or None runs no Python code,
         * but a caller may pass anything, so read the size again. */
        if (k >= PyList_GET_SIZE(ids)) {
            PyErr_SetString(PyExc_RuntimeError, "list changed size");
            goto fail;
        }
        PyObject *item = PyList_GET_ITEM(ids, k);
        Py_INCREF(item);  /* its __hash__ may take it out of the list */
        Py_hash_t h = PyObject_Hash(item);
        Py_DECREF(item);
        if (h == -1) {
            goto fail;
        }
        lanes[k] = (Py_uhash_t)h;
    }
    out = PyList_New(count);
    if (out == NULL) {
        goto fail;
    }
    for (Py_ssize_t k = 0; k < count; k++) {  /* nothing here runs Python code */
        PyObject *v = PyLong_FromSsize_t(window_hash(lanes + k, width));
        if (v == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, k, v);
    }
    PyMem_Free(lanes);
    return out;
fail:
    PyMem_Free(lanes);
    Py_XDECREF(out);
    return NULL;
}

/* ---- Tables: every licence's shingles, as a hash table per licence ------------------------
 *
 * fulltext keeps each licence's shingles as int64 values in one array (licence i holds
 * shingles[offsets[i]:offsets[i + 1]], each once, in text order). A licence's table maps a
 * shingle to its position there. Python dicts did this at 60-90 ns a lookup (an int object
 * hashed, compared through a call) and 45 MiB for all 708 licences; this table is two flat
 * arrays, built on a licence's first use: a lookup is a multiply and a probe or two. */

typedef struct {
    Py_ssize_t start;   /* the licence's shingles are shingles[start:start + n] (copied from the */
    Py_ssize_t n;       /* offsets at __init__: a later write to that array changes nothing here) */
    int64_t *keys;
    int32_t *pos;       /* -1: empty slot */
    uint64_t mask;      /* slots - 1 */
    int shift;          /* 64 - log2(slots) */
} table_t;

typedef struct {
    PyObject_HEAD
    Py_buffer shingles; /* held: the array cannot be resized (its values may change: stale answers, never unsafe ones) */
    Py_ssize_t count;   /* licences */
    table_t *tables;    /* count of them; keys == NULL until built */
} TablesObject;

static inline uint64_t
slot_of(const table_t *t, int64_t key)
{
    return ((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> t->shift;
}


/* Licence i's table, built on first use; NULL with an exception set. */
static table_t *
table_of(TablesObject *self, Py_ssize_t i)
{
    if (i < 0 || i >= self->count) {
        PyErr_SetString(PyExc_IndexError, "licence number out of range");
        return NULL;
    }
    table_t *t = &self->tables[i];
    if (t->keys != NULL) {
        return t;
    }
    Py_ssize_t n = t->n;
    const int64_t *sh = (const int64_t *)self->shingles.buf + t->start;
    uint64_t slots = 8;
    int bits = 3;
    while (slots < (uint64_t)n + (uint64_t)n / 2 + 1) {  /* load factor at most 2/3 */
        slots <<= 1;
        bits++;
    }
    int64_t *keys = PyMem_Malloc(sizeof(int64_t) * slots);
    int32_t *pos = PyMem_Malloc(sizeof(int32_t) * slots);
    if (keys == NULL || pos == NULL) {
        PyMem_Free(keys);
        PyMem_Free(pos);
        PyErr_NoMemory();
        return NULL;
    }
    memset(pos, 0xff, sizeof(int32_t) * slots);
    t->mask = slots - 1;
    t->shift = 64 - bits;
    for (Py_ssize_t k = 0; k < n; k++) {
        uint64_t s = slot_of(t, sh[k]);
        while (pos[s] >= 0 && keys[s] != sh[k]) {
            s = (s + 1) & t->mask;
        }
        if (pos[s] < 0) {  /* a licence holds each shingle once; a repeat keeps the first */
            keys[s] = sh[k];
            pos[s] = (int32_t)k;
        }
    }
    t->keys = keys;
    t->pos = pos;
    return t;
}

/* The position of key in licence t, or -1. */
static inline int32_t
lookup(const table_t *t, int64_t key)
{
    uint64_t s = slot_of(t, key);
    while (t->pos[s] >= 0) {
        if (t->keys[s] == key) {
            return t->pos[s];
        }
        s = (s + 1) & t->mask;
    }
    return -1;
}

/* An int object's value; -1 with an exception for anything else. Shingles are hash() values,
 * so they always fit. */
static inline int
value_of(PyObject *o, int64_t *out)
{
    if (!PyLong_CheckExact(o)) {
        PyErr_SetString(PyExc_TypeError, "shingles must be ints");
        return -1;
    }
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        *out = 0;
        return 1;  /* no licence holds it */
    }
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

static int
Tables_init(TablesObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *shingles, *offsets;
    Py_buffer obuf;
    static char *kwlist[] = {"shingles", "offsets", NULL};
    if (self->tables != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Tables already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:Tables", kwlist, &shingles, &offsets)) {
        return -1;
    }
    if (PyObject_GetBuffer(shingles, &self->shingles, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (PyObject_GetBuffer(offsets, &obuf, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&self->shingles);
        self->shingles.obj = NULL;
        return -1;
    }
    const char *what = NULL;
    if (self->shingles.itemsize != 8 || obuf.itemsize != 8 || self->shingles.format == NULL
        || obuf.format == NULL || strcmp(self->shingles.format, "q") != 0 || strcmp(obuf.format, "q") != 0) {
        what = "shingles and offsets must be array('q')";
    }
    Py_ssize_t nsh = self->shingles.len / 8, noff = obuf.len / 8;
    const int64_t *off = (const int64_t *)obuf.buf;
    if (what == NULL && noff < 1) {
        what = "offsets must not be empty";
    }
    for (Py_ssize_t k = 0; what == NULL && k < noff; k++) {
        if (off[k] < (k ? off[k - 1] : 0) || off[k] > nsh || off[k] - (k ? off[k - 1] : 0) > INT32_MAX / 2) {
            what = "offsets must ascend within the shingles";
        }
    }
    if (what == NULL && (self->tables = PyMem_Calloc((size_t)noff, sizeof(table_t))) == NULL) {
        PyErr_NoMemory();
    }
    if (what == NULL && self->tables != NULL) {
        for (Py_ssize_t k = 0; k + 1 < noff; k++) {  /* the offsets are copied, checked: not read again */
            self->tables[k].start = (Py_ssize_t)off[k];
            self->tables[k].n = (Py_ssize_t)(off[k + 1] - off[k]);
        }
    }
    PyBuffer_Release(&obuf);
    if (what != NULL || self->tables == NULL) {
        if (what != NULL) {
            PyErr_SetString(PyExc_ValueError, what);
        }
        PyBuffer_Release(&self->shingles);
        self->shingles.obj = NULL;
        return -1;
    }
    self->count = noff - 1;
    return 0;
}

static void
Tables_dealloc(TablesObject *self)
{
    if (self->tables != NULL) {
        for (Py_ssize_t i = 0; i < self->count; i++) {
            PyMem_Free(self->tables[i].keys);
            PyMem_Free(self->tables[i].pos);
        }
        PyMem_Free(self->tables);
    }
    if (self->shingles.obj != NULL) {
        PyBuffer_Release(&self->shingles);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
ready(TablesObject *self)
{
    if (self->tables == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Tables not initialised");
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(hits_doc,
"hits(i, values: list[int]) -> list[int]\n\n"
"The positions k of values whose values[k] licence i holds, ascending.");

static PyObject *
Tables_hits(TablesObject *self, PyObject *args)
{
    Py_ssize_t i;
    PyObject *values;
    if (!ready(self) || !PyArg_ParseTuple(args, "nO!:hits", &i, &PyList_Type, &values)) {
        return NULL;
    }
    table_t *t = table_of(self, i);
    if (t == NULL) {
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    /* Sizes are read at each step: an allocation may run a collection, and a finaliser Python code. */
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(values); k++) {
        int64_t v;
        int r = value_of(PyList_GET_ITEM(values, k), &v);
        if (r < 0) {
            goto fail;
        }
        if (r == 0 && lookup(t, v) >= 0) {
            PyObject *p = PyLong_FromSsize_t(k);
            if (p == NULL || PyList_Append(out, p) < 0) {
                Py_XDECREF(p);
                goto fail;
            }
            Py_DECREF(p);
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

PyDoc_STRVAR(count_doc,
"count(i, items: Iterable[int]) -> int\n\n"
"How many of the items licence i holds (each item counted as often as it comes).");

static PyObject *
Tables_count(TablesObject *self, PyObject *args)
{
    Py_ssize_t i;
    PyObject *items;
    if (!ready(self) || !PyArg_ParseTuple(args, "nO:count", &i, &items)) {
        return NULL;
    }
    table_t *t = table_of(self, i);
    if (t == NULL) {
        return NULL;
    }
    Py_ssize_t found = 0;
    PyObject *it = PyObject_GetIter(items), *o;
    if (it == NULL) {
        return NULL;
    }
    while ((o = PyIter_Next(it)) != NULL) {
        int64_t v;
        int r = value_of(o, &v);
        Py_DECREF(o);
        if (r < 0) {
            Py_DECREF(it);
            return NULL;
        }
        found += r == 0 && lookup(t, v) >= 0;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(count_distinct_doc,
"count_distinct(i, values: list[int]) -> int\n\n"
"How many distinct values other than 0 licence i holds (len((set(values) - {0}) & licence i)).");

static PyObject *
Tables_count_distinct(TablesObject *self, PyObject *args)
{
    Py_ssize_t i;
    PyObject *values;
    if (!ready(self) || !PyArg_ParseTuple(args, "nO!:count_distinct", &i, &PyList_Type, &values)) {
        return NULL;
    }
    table_t *t = table_of(self, i);
    if (t == NULL) {
        return NULL;
    }
    Py_ssize_t size = t->n;
    unsigned char *seen = PyMem_Calloc((size_t)size + 1, 1);  /* a licence holds each value once */
    if (seen == NULL) {
        return PyErr_NoMemory();
    }
    Py_ssize_t found = 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(values); k++) {  /* no Python code runs in the loop */
        int64_t v;
        int r = value_of(PyList_GET_ITEM(values, k), &v);
        if (r < 0) {
            PyMem_Free(seen);
            return NULL;
        }
        int32_t lp = r == 0 && v != 0 ? lookup(t, v) : -1;
        if (lp >= 0 && !seen[lp]) {
            seen[lp] = 1;
            found++;
        }
    }
    PyMem_Free(seen);
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(first_missing_doc,
"first_missing(i, values: list[int], at: list[int]) -> int | None\n\n"
"The first p in at whose values[p] licence i lacks.");

static PyObject *
Tables_first_missing(TablesObject *self, PyObject *args)
{
    Py_ssize_t i;
    PyObject *values, *at;
    if (!ready(self) || !PyArg_ParseTuple(args, "nO!O!:first_missing", &i, &PyList_Type, &values, &PyList_Type, &at)) {
        return NULL;
    }
    table_t *t = table_of(self, i);
    if (t == NULL) {
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(at); k++) {
        PyObject *po = PyList_GET_ITEM(at, k);
        if (!PyLong_Check(po)) {
            PyErr_SetString(PyExc_TypeError, "positions must be ints");
            return NULL;
        }
        Py_ssize_t p = PyLong_AsSsize_t(po);
        if (p < 0 || p >= PyList_GET_SIZE(values)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_IndexError, "position out of range");
            }
            return NULL;
        }
        int64_t v;
        int r = value_of(PyList_GET_ITEM(values, p), &v);
        if (r < 0) {
            return NULL;
        }
        if (r != 0 || lookup(t, v) < 0) {
            Py_INCREF(po);
            return po;
        }
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(region_doc,
"region(i, values: list[int], gap: int) -> tuple | None\n\n"
"The densest run of licence i's shingles in values: hits (positions holding one) further apart\n"
"than gap start a new run, and the first of the runs with most hits wins. Returns (a, b, hits,\n"
"distinct, lo, hi, first, last): its first and last position, its hits, the distinct values\n"
"at them, the first and last position in the licence of one of those, and the run's place in\n"
"hits(i, values) (hits(...)[first:last + 1]). None when licence i holds none of the values.");

static PyObject *
Tables_region(TablesObject *self, PyObject *args)
{
    Py_ssize_t i, gap;
    PyObject *values;
    if (!ready(self) || !PyArg_ParseTuple(args, "nO!n:region", &i, &PyList_Type, &values, &gap)) {
        return NULL;
    }
    table_t *t = table_of(self, i);
    if (t == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(values), size = t->n;  /* nothing below allocates Python objects */
    Py_ssize_t *hit = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    int32_t *where = PyMem_Malloc(sizeof(int32_t) * (size_t)(n + 1));  /* licence position of each hit */
    unsigned char *seen = PyMem_Calloc((size_t)size + 1, 1);
    PyObject *res = NULL;
    if (hit == NULL || where == NULL || seen == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t h = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        int64_t v;
        int r = value_of(PyList_GET_ITEM(values, k), &v);
        if (r < 0) {
            goto done;
        }
        int32_t lp = r == 0 ? lookup(t, v) : -1;
        if (lp >= 0) {
            hit[h] = k;
            where[h++] = lp;
        }
    }
    if (h == 0) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    /* The first run with strictly more hits than every earlier one (fulltext._region's rule). */
    Py_ssize_t best = 0, first = 0, last = 0, start = 0;
    for (Py_ssize_t k = 1; k <= h; k++) {
        if (k == h || hit[k] - hit[k - 1] > gap) {
            if (k - start > best) {
                best = k - start;
                first = start;
                last = k - 1;
            }
            start = k;
        }
    }
    Py_ssize_t distinct = 0, lo = -1, hi = -1;
    for (Py_ssize_t k = first; k <= last; k++) {
        int32_t lp = where[k];
        if (seen[lp]) {
            continue;
        }
        seen[lp] = 1;
        distinct++;
        if (lo < 0 || lp < lo) {
            lo = lp;
        }
        if (lp > hi) {
            hi = lp;
        }
    }
    res = Py_BuildValue("nnnnnnnn", hit[first], hit[last], best, distinct, lo, hi, first, last);
done:
    PyMem_Free(hit);
    PyMem_Free(where);
    PyMem_Free(seen);
    return res;
}

PyDoc_STRVAR(build_doc, "build() -> None\n\nBuild every licence's table now (a long-lived process).");

static PyObject *
Tables_build(TablesObject *self, PyObject *Py_UNUSED(ignored))
{
    if (!ready(self)) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < self->count; i++) {
        if (table_of(self, i) == NULL) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

static PyMethodDef Tables_methods[] = {
    {"hits", (PyCFunction)Tables_hits, METH_VARARGS, hits_doc},
    {"count", (PyCFunction)Tables_count, METH_VARARGS, count_doc},
    {"count_distinct", (PyCFunction)Tables_count_distinct, METH_VARARGS, count_distinct_doc},
    {"first_missing", (PyCFunction)Tables_first_missing, METH_VARARGS, first_missing_doc},
    {"region", (PyCFunction)Tables_region, METH_VARARGS, region_doc},
    {"build", (PyCFunction)Tables_build, METH_NOARGS, build_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TablesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "trueopen.licenses._match.Tables",
    .tp_doc = PyDoc_STR("Tables(shingles: array('q'), offsets: array('q')): each licence's shingles, for lookups."),
    .tp_basicsize = sizeof(TablesObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Tables_init,
    .tp_dealloc = (destructor)Tables_dealloc,
    .tp_methods = Tables_methods,
};

static PyMethodDef methods[] = {
    {"shingles", shingles, METH_VARARGS, shingles_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_match",
    "The licence matcher's inner loops (see fulltext.py).", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__match(void)
{
    if (PyType_Ready(&TablesType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&TablesType);
    if (PyModule_AddObject(m, "Tables", (PyObject *)&TablesType) < 0) {
        Py_DECREF(&TablesType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
