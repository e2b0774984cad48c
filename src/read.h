/* The CSV reader kernel: plain C on top of libcsv, no R headers.
 *
 * A file is streamed through libcsv. Each field is appended to its
 * column's byte store as <varint length><bytes> and classified at once
 * (which types every value so far fits); while a column still looks
 * logical, integer or double its values also go into a typed buffer, so
 * that a numeric column is parsed once, and the rows of a text column are
 * numbered by distinct value.
 *
 * With more than one thread the file is read in windows cut into pieces
 * at line starts, and the pieces are parsed at the same time, each by its
 * own libcsv parser, into a part of its own. A part is kept only if the
 * parser of the part before it stopped exactly between two records at the
 * cut; otherwise its bytes are parsed again by that parser. Either way the
 * result is the one a single parser gives.
 *
 * In the parts after the first, a column keeps no text while it is typed
 * and every field is the plain text of its value (PA_TEXT_LAZY: only the
 * current record's field is held); should that change, the rows so far
 * get their text back from their values. Once a part is done, such a
 * column keeps its values only, and an indexed text column only its
 * distinct values: most of a file's bytes are then held once, as values,
 * and are written once. pa_column_text() writes the text back for the
 * rare reader that needs it.
 *
 * The glue then builds the R vectors from the typed buffers, the numbered
 * values or the text, one column at a time, releasing each column's
 * stores as soon as its R vector exists. */
#ifndef PA_READ_H
#define PA_READ_H

#include <stddef.h>
#include <stdint.h>

#define PA_MSG_SIZE 1024

/* status codes returned by the kernel */
enum {
  PA_OK = 0,
  PA_ERR_FILE,       /* cannot open or read the file */
  PA_ERR_EMPTY,      /* no header line */
  PA_ERR_RAGGED,     /* a row with a different number of fields (strict) */
  PA_ERR_QUOTE,      /* unterminated quoted field (strict) */
  PA_ERR_ENCODING,   /* bytes invalid in the declared encoding (strict) */
  PA_ERR_NUL,        /* an embedded NUL byte */
  PA_ERR_PARSE,      /* a value that does not parse as its column type */
  PA_ERR_MEMORY,
  PA_ERR_ARG
};

enum { PA_ENC_AUTO = 0, PA_ENC_UTF8 = 1, PA_ENC_LATIN1 = 2, PA_ENC_CP1252 = 3 };
enum { PA_HEADER_AUTO = 0, PA_HEADER_SINGLE = 1, PA_HEADER_QUALTRICS = 2 };

/* column types, in the order of the result's preference */
enum { PA_LGL = 0, PA_INT = 1, PA_DBL = 2, PA_CHR = 3 };
#define PA_CAN_LGL 1u
#define PA_CAN_INT 2u
#define PA_CAN_DBL 4u

/* A growable byte store. */
typedef struct {
  unsigned char *data;
  size_t len, cap;
} pa_bytes;

/* One reported problem. Text is kept in the reader's problem store. */
typedef struct {
  int64_t row;     /* data record in the file, 1-based */
  int64_t line;    /* physical line where the record starts */
  int column;      /* 0-based column, -1 for the whole row */
  int kind;        /* a PA_ERR_* code */
  size_t expected; /* offsets into the problem text store */
  size_t actual;
  int dropped;     /* PA_DROPPED, PA_SET_NA or PA_QUOTE_TEXT (see below) */
} pa_problem;

/* What became of the record or value of a problem: the row was dropped,
 * the value set to NA, or the row kept with a stray quote read as text
 * (row = -(row of the part or reader, from 1) until the glue makes it the
 * row of the result). */
enum { PA_SET_NA = 0, PA_DROPPED = 1, PA_QUOTE_TEXT = 2 };

/* Missing-value strings. */
typedef struct {
  const char **s;
  const size_t *len;
  int n;
} pa_na;

/* A distinct value of a text column: its bytes in the column's text. */
typedef struct {
  size_t at;
  uint32_t len;
} pa_distinct;

/* A slot of the table of distinct values: id + 1 (0 for empty), hash. */
typedef struct {
  uint64_t hash;
  uint32_t id1;
} pa_slot;

/* A text column's numbering of its distinct values (see index_add()),
 * allocated when the column turns out to be text: a wide file has many
 * columns, each of which would otherwise carry it. */
typedef struct {
  uint32_t *ids;          /* each row's number, PA_ID_NA when missing */
  size_t nids, ids_cap;
  pa_distinct *distinct;  /* where each distinct value's text is */
  uint32_t ndistinct, distinct_cap;
  pa_slot *dict;          /* hash table of the distinct values */
  size_t dict_size;
} pa_index;

/* One column within one part of the file: its fields' text, and the type
 * inference over the part's rows from `skip` on (see pa_part). Kept small:
 * a file of 2 million columns has 2 million of them. */
typedef struct {
  pa_bytes text;
  size_t at, len;         /* the current record's field: offset, length */
  unsigned char can;      /* PA_CAN_* bits that every value allows */
  unsigned char kind;     /* what `vals` holds: a PA_VALS_* code */
  unsigned char index;    /* a PA_INDEX_* code */
  /* compacting a part that is done (see part_compact()): whether every
   * typed value's text is the one pa_column_text() writes back for it
   * (simple), which missing-value string every NA so far was (na_k: an
   * index into the NA strings, -1 before the first NA, -2 when they
   * differ), and what `text` holds (a PA_TEXT_* code) */
  unsigned char simple;
  signed char na_k;
  unsigned char compact;
  void *vals;             /* one int or double per row */
  size_t nvals, vcap;
  size_t n_na, n_value, max_len;
  size_t rows_hint;       /* rows the buffers are first sized for (0: 1024) */
  int64_t first_invalid;  /* first row (in the part) not valid UTF-8 */
  int64_t first_nul;      /* first row holding a NUL byte */
  /* text columns: the rows from `skip` on numbered by distinct value
   * while index is PA_INDEX_ON */
  pa_index *ix;
} pa_col;

/* What a column's `text` holds in a part: every field; (a part that is
 * done) nothing for a typed column, only the distinct values for an
 * indexed one; (a part being parsed) for a column typed so far with
 * simple text only the current record's field (LAZY), for an indexed text
 * column its distinct values and then the current record's field if that
 * is not a new one (DISTINCT); the rows before are written back from
 * their values or numbers if the column stops being so. */
enum {
  PA_TEXT_ALL = 0,
  PA_TEXT_COMPACT = 1,
  PA_TEXT_LAZY = 2,
  PA_TEXT_DISTINCT = 3
};

#define PA_ID_NA UINT32_MAX
enum { PA_INDEX_OFF = 0, PA_INDEX_ON, PA_INDEX_GAVE_UP };

/* What a column's typed buffer holds. */
enum {
  PA_VALS_NA = 0,  /* nothing but missing values so far: only counted */
  PA_VALS_LGL,     /* int, 0 / 1 / na_int */
  PA_VALS_INT,     /* int */
  PA_VALS_DBL,     /* double */
  PA_VALS_NONE     /* the column is text: no buffer */
};

typedef struct pa_reader pa_reader;

/* A stretch of the file parsed by one libcsv parser. Lines, records and
 * rows count from the part's start until it is joined to the parts before
 * it. */
typedef struct {
  pa_reader *r;           /* settings, only read while parts run */
  pa_col *cols;
  size_t skip;            /* leading rows left out of inference */
  int eager;              /* values are classified as their fields come */
  int lazy_ok;            /* columns may keep less than every field's text
                           * while parsed (PA_TEXT_LAZY, PA_TEXT_DISTINCT) */
  int slot;               /* which of the reader's parsers it uses */
  int64_t *row_line;      /* starting line of every kept record */
  size_t nrow, row_cap;
  int64_t records;        /* data records seen, kept or not */
  int64_t lines_done;
  size_t nbytes;          /* bytes parsed */

  /* current record */
  int nfield;             /* fields so far (0: no record begun) */
  int fast_ncol;          /* fields below this take the common path */
  int64_t rec_line;
  int last_term;          /* terminator that ended the last row, or 0 */

  /* a quoted field's text with its doubled quotes made single, for the
   * fast path of the tokenizer (see fast_records()) */
  pa_bytes unquoted;

  /* rows dropped for having the wrong number of fields */
  pa_problem *problems;
  size_t nproblem, problem_cap;
  pa_bytes problem_text;

  /* resynchronising (lenient mode): a damaged record that spanned lines
   * asks for parsing to start again on the line after its first one; the
   * byte offsets of the lines of the current record say where that is */
  int restart;
  int damaged;             /* such a record was met (joined into the reader) */
  int64_t restart_records; /* records when the restart was asked for */
  int64_t restart_line;    /* first line of the damaged record */
  int64_t *line_off;
  size_t nline_off, line_off_cap;
  int at_line_start;
  int after_cr;            /* the last piece parsed ended with a CR */
  /* a record damaged on its first line: the rest of that line is skipped,
   * and reading goes on from the next line, numbered skip_line + 1 */
  int skipping;
  int64_t skip_line;

  /* an error stops the part; its message is written when it is joined */
  int status;
  int64_t err_line;
  int err_nfield;
  int64_t err_last_line;  /* a stray quote: the last line of its field */
  const char *err_text;
} pa_part;

struct pa_reader {
  /* settings */
  unsigned char delim, decimal;
  int encoding, header_mode, strict;
  char path[4096];
  /* set by the caller before pa_read_file(): threads to use (1 if 0), the
   * missing-value strings ("" and "NA" if NULL), and the values typed
   * buffers use for a missing logical or integer and a missing double */
  int nthreads;
  const pa_na *na;
  int na_int;
  double na_real;
  uint64_t na_lens;       /* bit k: an NA string has length k (63: >= 63) */

  /* header */
  pa_bytes names;
  int ncol;
  int header_done;

  /* the parts, in file order; those past npart are being parsed */
  pa_part **parts;
  int npart, part_cap, nflight;

  /* totals over the joined parts */
  int64_t *row_line;      /* starting line of every kept record */
  size_t nrow, row_cap;
  int64_t records;        /* data records seen, kept or not */
  int64_t lines_done;

  /* lenient mode: a damaged record spanned lines, so the file is read
   * again, one line at a time, resynchronising after each such record */
  int want_resync, resync;

  /* detection results */
  int had_bom;
  int qualtrics;          /* 1 if the first two records are header rows */
  int64_t header_gap_line; /* a dropped record where header rows should be */

  /* problems */
  pa_problem *problems;
  size_t nproblem, problem_cap;
  pa_bytes problem_text;

  /* resources held while parsing (the file, the read buffers, the libcsv
   * parsers of the parts in flight), released by pa_reader_free() even
   * when the caller leaves pa_read_file() early (an R interrupt) */
  void *fp, *buf, *parser;
  void *buf2;             /* the window read while another is parsed */
  size_t buf_cap;
  int nparser;

  /* error */
  int status;
  char msg[PA_MSG_SIZE];
  int64_t err_line;
  int err_column;
};

/* Iterating over a column (all parts in turn) or over the header. */
typedef struct {
  const unsigned char *p, *end;
  const pa_reader *r;
  int j, part;            /* part < 0: a single store (header, one part) */
} pa_iter;

void pa_reader_init(pa_reader *r);
void pa_reader_free(pa_reader *r);

/* Parse a whole file. `interrupt` is called between blocks (may be NULL),
 * never while other threads run; it is the only way the kernel gives
 * control back to its caller. */
int pa_read_file(pa_reader *r, const char *path, unsigned char delim,
                 unsigned char decimal, int encoding, int header_mode,
                 int strict, void (*interrupt)(void));

/* 1 if the path is a regular file (not a pipe, device or socket) */
int pa_file_regular(const char *path);

/* the first data row once header rows are set aside */
size_t pa_first_row(const pa_reader *r);

void pa_iter_column(const pa_reader *r, int j, size_t skip, pa_iter *it);
/* Only part k's rows of the column, from its row `skip`. */
void pa_iter_part(const pa_reader *r, int k, int j, size_t skip, pa_iter *it);
void pa_iter_names(const pa_reader *r, pa_iter *it);
int pa_iter_advance(pa_iter *it);
/* Free column j's stores; returns about how many bytes that was. */
size_t pa_column_release(pa_reader *r, int j);

/* The next field, or 0 at the end. Inline: it runs once per cell. */
static inline int pa_iter_next(pa_iter *it, const unsigned char **s,
                               size_t *len) {
  if (it->p >= it->end && !pa_iter_advance(it)) return 0;
  size_t n = 0;
  int shift = 0;
  unsigned char c;
  do {
    c = *it->p++;
    n |= (size_t) (c & 0x7f) << shift;
    shift += 7;
  } while (c & 0x80);
  *s = it->p;
  *len = n;
  it->p += n;
  return 1;
}

int pa_is_na(const pa_na *na, const unsigned char *s, size_t len);

/* Field classification and conversion. */
unsigned pa_field_types(const unsigned char *s, size_t len,
                        unsigned char decimal);
int pa_parse_lgl(const unsigned char *s, size_t len, int *out);
int pa_parse_int(const unsigned char *s, size_t len, int *out);
int pa_parse_dbl(const unsigned char *s, size_t len, unsigned char decimal,
                 double *out);

/* Encoding helpers. */
int pa_utf8_valid(const unsigned char *s, size_t len);
size_t pa_latin1_to_utf8(const unsigned char *s, size_t len,
                         unsigned char *out);
size_t pa_cp1252_to_utf8(const unsigned char *s, size_t len,
                         unsigned char *out);
size_t pa_utf8_escape(const unsigned char *s, size_t len, unsigned char *out);

/* What the bytes of a file say about its encoding. */
typedef struct {
  size_t n_utf8;    /* fields with non-ASCII bytes, all valid UTF-8 */
  size_t n_invalid; /* fields with bytes that are not valid UTF-8 */
  int c1;           /* a byte 0x80-0x9F outside valid UTF-8 */
} pa_evidence;
void pa_encoding_evidence(const unsigned char *s, size_t len,
                          pa_evidence *ev);

/* Per-column summary of the rows after pa_first_row(). */
typedef struct {
  unsigned can;          /* PA_CAN_* bits that every non-NA value allows */
  size_t n_na, n_value;
  int64_t first_invalid; /* first row (0-based, after skip) not valid UTF-8 */
  int64_t first_nul;     /* first row holding a NUL byte */
  size_t max_len;        /* longest field, for conversion buffers */
} pa_colinfo;
/* The summary gathered while reading (with the reader's own NA strings). */
void pa_column_info(const pa_reader *r, int j, pa_colinfo *info);
/* The same summary computed afresh from the text, with any NA strings. */
void pa_classify_column(const pa_reader *r, int j, const pa_na *na,
                        pa_colinfo *info);
int pa_column_type(unsigned can, size_t n_value);

/* Fill `dest` (nrow - pa_first_row() ints or doubles) with column j as
 * `type`, which every value of the column must allow (PA_LGL, PA_INT or
 * PA_DBL): from the typed buffers where they hold that type, else from the
 * text (written back first where a part gave it up). Returns 0, or -1 when
 * memory ran out. */
int pa_fill_column(pa_reader *r, int j, int type, void *dest);
/* Fill several columns, on up to r->nthreads threads; -1 as above. */
int pa_fill_columns(pa_reader *r, int n, const int *cols, const int *types,
                    void *const *dests);

/* Write back the text of column j in the parts that gave it up (see
 * part_compact()), so that iterating over it sees every field as read;
 * with `indexed` 0, only where the column was typed (an indexed text
 * column's distinct values serve the glue as they are). Returns 0, or -1
 * when memory ran out. Iterating over a column needs it first. */
int pa_column_text(pa_reader *r, int j, int indexed);

int pa_add_problem(pa_reader *r, int64_t row, int64_t line, int column,
                   int kind, const char *expected, const unsigned char *actual,
                   size_t actual_len, int dropped);

/* Threads available to the reader: at most `want`, at least 1. */
int pa_max_threads(int want);
/* Let the threads a read used go (call when the reader is done). */
void pa_release_threads(const pa_reader *r);

void pa_libcsv_version(char *buf, size_t size);

#endif
