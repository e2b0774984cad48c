/* The CSV reader kernel: plain C on top of libcsv, no R headers.
 *
 * A file is streamed through libcsv in blocks. Each field is appended to
 * its column's byte store as <varint length><bytes>; nothing is converted
 * while parsing. Afterwards each column is classified (which types every
 * non-missing value fits) and converted by the glue, one column at a time,
 * so the file's text is held once, in parsed form, and each column's store
 * is released as soon as its R vector exists. */
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

enum { PA_ENC_AUTO = 0, PA_ENC_UTF8 = 1, PA_ENC_LATIN1 = 2 };
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
  int dropped;     /* 1 if the row was dropped, 0 if the value was set NA */
} pa_problem;

typedef struct {
  /* settings */
  unsigned char delim, decimal;
  int encoding, header_mode, strict;
  char path[4096];

  /* header */
  pa_bytes names;
  int ncol;
  int header_done;

  /* data: one store per column, rollback marks for the current record */
  pa_bytes *cols;
  size_t *mark;
  int64_t *row_line;      /* starting line of every kept record */
  size_t nrow, row_cap;
  int64_t records;        /* data records seen, kept or not */

  /* current record */
  int nfield;
  int64_t rec_line;
  int record_started;

  /* line accounting */
  int64_t lines_done;
  int last_term;          /* terminator that ended the last row, or 0 */
  int fields_since_term;  /* fields seen since the last terminator */

  /* detection results */
  int had_bom;
  int qualtrics;          /* 1 if the first two records are header rows */

  /* problems */
  pa_problem *problems;
  size_t nproblem, problem_cap;
  pa_bytes problem_text;

  /* resources held while parsing, released by pa_reader_free() even when
   * the caller leaves pa_read_file() early (an R interrupt) */
  void *fp, *buf, *parser;

  /* error */
  int status;
  char msg[PA_MSG_SIZE];
  int64_t err_line;
  int err_column;
} pa_reader;

/* Iterating over a column store. */
typedef struct {
  const unsigned char *p, *end;
} pa_iter;

void pa_reader_init(pa_reader *r);
void pa_reader_free(pa_reader *r);

/* Parse a whole file. `interrupt` is called between blocks (may be NULL);
 * it is the only way the kernel gives control back to its caller. */
int pa_read_file(pa_reader *r, const char *path, unsigned char delim,
                 unsigned char decimal, int encoding, int header_mode,
                 int strict, void (*interrupt)(void));

/* the first data row once header rows are set aside */
size_t pa_first_row(const pa_reader *r);

void pa_iter_column(const pa_reader *r, int j, size_t skip, pa_iter *it);
void pa_iter_names(const pa_reader *r, pa_iter *it);
int pa_iter_next(pa_iter *it, const unsigned char **s, size_t *len);
void pa_column_release(pa_reader *r, int j);

/* Missing-value strings. */
typedef struct {
  const char **s;
  const size_t *len;
  int n;
} pa_na;
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

/* Per-column summary computed before conversion. */
typedef struct {
  unsigned can;          /* PA_CAN_* bits that every non-NA value allows */
  size_t n_na, n_value;
  int64_t first_invalid; /* first row (0-based, after skip) not valid UTF-8 */
  int64_t first_nul;     /* first row holding a NUL byte */
  size_t max_len;        /* longest field, for conversion buffers */
} pa_colinfo;
void pa_classify_column(const pa_reader *r, int j, const pa_na *na,
                        pa_colinfo *info);
int pa_column_type(unsigned can, size_t n_value);

int pa_add_problem(pa_reader *r, int64_t row, int64_t line, int column,
                   int kind, const char *expected, const unsigned char *actual,
                   size_t actual_len, int dropped);

void pa_libcsv_version(char *buf, size_t size);

#endif
