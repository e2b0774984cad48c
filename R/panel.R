# From survey exports to a person-by-wave panel.
#
# read_waves() stacks the exports of several waves and reconciles their ids;
# panel_data() checks the long data and records who answered when. Both stop
# loudly on anything that would make a later weight or estimate wrong, and
# every message names the wave, file, rows or ids concerned.

# Ingestion ---------------------------------------------------------------

#' Read the exports of several survey waves into one long data frame
#'
#' Reads one CSV export per wave with [read_survey()] and stacks them, so that
#' each row is one person's answers at one wave. Ids are reconciled across
#' waves, and duplicated ids or ids that first appear after the first wave
#' are reported instead of being passed on silently.
#'
#' Columns are matched by name. The result holds the union of all columns in
#' order of first appearance; a column missing from a wave is `NA` there.
#' When a column was read as integer in some waves and double in others,
#' it is double. When the waves disagree otherwise (a wave whose `sex`
#' column holds only `F`, read as logical, next to a wave where it is
#' text; `007` next to `7`), the column is taken again as text from every
#' such file, so each value appears exactly as written.
#'
#' Ids are read as text, even when they look like numbers (`007`, or 19
#' digits that a double would round), unless `col_types` in `...` gives the
#' id column a numeric type. Text ids are trimmed of surrounding white
#' space and matched without regard to case, since exports typed by hand
#' or by different platforms rarely agree on either. Each person keeps the
#' trimmed spelling first seen in the earliest wave; if any id had to
#' change, the ids exactly as read are kept in a column named `<id>_raw`,
#' right after the id column. Numeric ids (asked for with `col_types`) are
#' used as they are. A missing (`NA` or empty) id is always an error.
#'
#' With `strict = TRUE`, an id found twice in the same wave, or found in a
#' later wave but not in the first (unless `late_entries = TRUE`), is an
#' error of class `panelattrition_id_error`. With `strict = FALSE`, the
#' first row of each duplicated id is kept and the others dropped, ids
#' absent from the first wave are kept, and a warning is given; every such
#' row (and every late entry kept with `late_entries = TRUE`) is listed,
#' with its file line, in the
#' `problems` attribute, together with the problems [read_survey()] reported
#' for each file. The rows read from all files always equal the rows of the
#' result plus the rows whose action is `"row dropped"`.
#'
#' @param files A named character vector of file paths, one per wave, in the
#'   order the waves took place, e.g. `c(T1 = "t1.csv", T2 = "t2.csv")`. The
#'   names become the wave labels and must be unique and non-empty.
#' @param id The name of the column holding the person identifier, present
#'   in every file.
#' @param ... Further arguments passed to [read_survey()] for every file,
#'   such as `na` or `encoding`. Delimiter and decimal mark are detected per
#'   file, so exports with different conventions can be mixed.
#' @param strict If `TRUE` (the default), problems in the files or the ids
#'   are errors. If `FALSE`, they are repaired as described above, listed in
#'   the `problems` attribute, and signalled by a warning.
#' @param late_entries If `TRUE`, people who first answer after the first
#'   wave are expected (a cohort joining late): they are kept even with
#'   `strict = TRUE`, and still listed in the `problems` attribute with a
#'   warning. Default `FALSE`.
#'
#' @return A data frame with one row per person and wave answered: first a
#'   factor `wave` whose levels are `names(files)` in order, then the id
#'   column, then `<id>_raw` if any id was normalised, then every other
#'   column. If anything was repaired (only with `strict = FALSE`), attribute
#'   `problems` is a data frame with columns `wave`, `row` (row within that
#'   wave's data as read), `line`, `column`, `id`, `problem`
#'   (`"duplicated id"`, `"absent from first wave"` or `"reader"` for
#'   problems reported by [read_survey()]), `expected`, `actual` and
#'   `action` (`"row dropped"`, `"kept"`, or the reader's action).
#'
#' @seealso [panel_data()] to turn the result into a panel.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' # wave2.csv is semicolon-delimited with decimal commas; some T3 ids come
#' # back in lower case or with a trailing space. They are matched to their
#' # T1 spelling and kept as typed in `id_raw`.
#' answers <- read_waves(files, id = "id")
#' table(answers$wave)
#' answers[answers$id != answers$id_raw, c("wave", "id", "id_raw")]
read_waves <- function(files, id, ..., strict = TRUE, late_entries = FALSE) {
  check_wave_files(files)
  check_string(id, "id")
  check_flag(strict, "strict")
  check_flag(late_entries, "late_entries")
  if (identical(id, "wave")) {
    pa_abort(
      "`id` cannot be \"wave\": read_waves() adds a column of that name.",
      class = "panelattrition_arg_error", argument = "id"
    )
  }
  waves <- names(files)
  nwave <- length(files)
  dots <- list(...)
  user_types <- dots$col_types
  dots$col_types <- NULL
  # Ids are names, not quantities: read as text unless col_types says
  # otherwise, so that "007" and 12345678901234567 stay as written.
  id_type <- if (id %in% names(user_types)) NULL else c(character = id)
  read_wave <- function(i, as_text = character()) {
    types <- c(user_types, stats::setNames(
      rep("character", length(c(id_type, as_text))), c(id_type, as_text)
    ))
    do.call(read_delimited, c(
      list(files[[i]]), dots,
      list(col_types = if (length(types)) types, strict = strict,
           row_lines = TRUE)
    ))
  }

  tables <- vector("list", nwave)
  reader_problems <- vector("list", nwave)
  bar <- progress_start("Reading the waves' files", nwave)
  for (i in seq_len(nwave)) {
    where <- sprintf("wave %s (file \"%s\")", waves[i], files[[i]])
    df <- tryCatch(read_wave(i), panelattrition_arg_error = function(e) {
      if (!is.null(id_type) && identical(e$argument, "col_types") &&
          grepl(sprintf("\"%s\"", id), conditionMessage(e), fixed = TRUE)) {
        pa_abort(
          sprintf(
            "Id column `%s` is not in %s.", id, where
          ),
          class = "panelattrition_id_error", file = files[[i]],
          wave = waves[i]
        )
      }
      stop(e)
    })
    progress_step(bar)
    if (!id %in% names(df)) {
      pa_abort(
        sprintf(
          "Id column `%s` is not in %s. Its columns are: %s.",
          id, where, format_names(names(df))
        ),
        class = "panelattrition_id_error", file = files[[i]], wave = waves[i]
      )
    }
    if ("wave" %in% names(df)) {
      pa_abort(
        sprintf(
          paste(
            "%s already has a column named `wave`, the name read_waves()",
            "gives to the wave labels. Rename that column in the file first."
          ),
          upper_first(where)
        ),
        class = "panelattrition_panel_error", file = files[[i]],
        wave = waves[i]
      )
    }
    tables[[i]] <- df
    reader_problems[i] <- list(attr(df, "problems", exact = TRUE))
  }
  # A column read as different types in different waves (an all-female
  # wave's "F" read as logical, "007" as text next to 7 as a number) is
  # taken again as text from those files, so the stacked column shows
  # every value exactly as written rather than as converted and back.
  as_text <- columns_as_text(tables)
  for (i in seq_len(nwave)) {
    if (length(as_text[[i]]) == 0L) next
    again <- suppressWarnings(read_wave(i, as_text[[i]]))
    for (col in as_text[[i]]) tables[[i]][[col]] <- again[[col]]
  }
  row_lines <- lapply(tables, function(df) attr(df, "row_lines"))
  rows_read <- vapply(tables, nrow, integer(1))

  # Ids: check for missing ones, then derive one matching key per row.
  raw_ids <- lapply(tables, function(df) df[[id]])
  check_missing_ids(raw_ids, id, waves, files)
  numeric_ids <- all(vapply(raw_ids, is.numeric, logical(1)))
  if (numeric_ids) {
    if (any(vapply(raw_ids, is.double, logical(1)))) {
      raw_ids <- lapply(raw_ids, as.double)
    }
    raw_text <- lapply(raw_ids, to_character)
    trimmed <- raw_ids
    keys <- raw_ids
  } else {
    raw_text <- lapply(raw_ids, to_character)
    trimmed <- lapply(raw_text, trim_id)
    keys <- lapply(trimmed, tolower)
  }

  problems <- find_id_problems(keys, raw_text, waves)
  # (find_id_problems() lists the rows wave by wave, in wave order)
  problems$line <- unlist(lapply(seq_len(nwave), function(i) {
    row_lines[[i]][problems$row[problems$wave == waves[i]]]
  }), use.names = FALSE)
  fatal <- problems$problem == "duplicated id" |
    (problems$problem == "absent from first wave" & !late_entries)
  if (strict && any(fatal)) {
    stop_id_problems(problems[fatal, , drop = FALSE], keys, raw_text, waves,
                     files, late_entries)
  }

  keep <- lapply(keys, function(k) !duplicated(k))
  for (i in seq_len(nwave)) {
    k <- keep[[i]]
    if (all(k)) next
    tables[[i]] <- tables[[i]][k, , drop = FALSE]
    raw_text[[i]] <- raw_text[[i]][k]
    trimmed[[i]] <- trimmed[[i]][k]
    keys[[i]] <- keys[[i]][k]
  }
  rows_kept <- vapply(tables, nrow, integer(1))

  # Each person is spelled as in the earliest wave that has them.
  all_keys <- unlist(keys, use.names = FALSE)
  all_trimmed <- unlist(trimmed, use.names = FALSE)
  first_seen <- !duplicated(all_keys)
  id_values <- all_trimmed[first_seen][
    match(all_keys, all_keys[first_seen])
  ]
  all_raw <- unlist(raw_text, use.names = FALSE)
  raw_name <- paste0(id, "_raw")
  keep_raw <- !numeric_ids && any(id_values != all_raw)

  others <- unique(unlist(
    lapply(tables, function(df) setdiff(names(df), id)),
    use.names = FALSE
  ))
  if (keep_raw && raw_name %in% others) {
    pa_abort(
      sprintf(
        paste(
          "Some ids were trimmed or re-cased, but the files already have a",
          "column `%s`, where read_waves() keeps the ids as read. Rename it",
          "first."
        ),
        raw_name
      ),
      class = "panelattrition_id_error"
    )
  }

  columns <- list(wave = factor(rep(waves, rows_kept), levels = waves))
  columns[[id]] <- id_values
  if (keep_raw) columns[[raw_name]] <- all_raw
  for (col in others) {
    pieces <- lapply(tables, function(df) {
      if (col %in% names(df)) df[[col]] else NULL
    })
    columns[[col]] <- stack_column(pieces, rows_kept)
  }
  out <- list2DF(columns)

  all_problems <- merge_problems(problems, reader_problems, waves, id)
  if (!is.null(all_problems)) attr(out, "problems") <- all_problems
  if (nrow(problems) > 0L) warn_id_problems(problems, waves)
  out
}

check_wave_files <- function(files) {
  if (!is.character(files) || length(files) == 0L || anyNA(files)) {
    arg_error(
      "files", "a named character vector of file paths, one per wave", files
    )
  }
  labels <- names(files)
  if (is.null(labels) || anyNA(labels) || any(trimws(labels) == "")) {
    pa_abort(
      paste(
        "Every element of `files` must be named after its wave, as in",
        "c(T1 = \"t1.csv\", T2 = \"t2.csv\")."
      ),
      class = "panelattrition_arg_error", argument = "files"
    )
  }
  if (anyDuplicated(labels)) {
    pa_abort(
      sprintf(
        "The names of `files` must be unique; %s appears more than once.",
        format_values(unique(labels[duplicated(labels)]))
      ),
      class = "panelattrition_arg_error", argument = "files"
    )
  }
  invisible(files)
}

# An id that is NA, or nothing but white space, cannot be matched to anyone.
is_missing_id <- function(x) {
  if (is.character(x)) is.na(x) | trim_id(x) == "" else is.na(x)
}

# Spreadsheets leave tabs, line ends and non-breaking spaces around ids too.
trim_id <- function(x) trimws(x, whitespace = "[\\h\\v]")

check_missing_ids <- function(raw_ids, id, waves, files) {
  lines <- character()
  for (i in seq_along(raw_ids)) {
    rows <- which(is_missing_id(raw_ids[[i]]))
    if (length(rows) == 0L) next
    lines <- c(lines, sprintf(
      "* wave %s (file \"%s\"): %d missing, in %s %s.",
      waves[i], files[[i]], length(rows),
      if (length(rows) == 1L) "row" else "rows", format_rows(rows)
    ))
  }
  if (length(lines) == 0L) return(invisible())
  pa_abort(
    paste0(
      "Id column `", id, "` has missing values:\n",
      paste(lines, collapse = "\n"),
      "\nEvery answer must carry the id of the person who gave it; fill in",
      " or remove these rows."
    ),
    class = "panelattrition_id_error"
  )
}

# One row per duplicated row (after the first of its id) and per row whose
# id the first wave does not have. Rows are numbered within each wave's data.
find_id_problems <- function(keys, raw_text, waves) {
  parts <- vector("list", length(keys))
  for (i in seq_along(keys)) {
    dup <- duplicated(keys[[i]])
    absent <- if (i == 1L) {
      rep(FALSE, length(dup))
    } else {
      !dup & !(keys[[i]] %in% keys[[1L]])
    }
    rows <- which(dup | absent)
    parts[[i]] <- data.frame(
      wave = rep(waves[i], length(rows)),
      row = rows,
      id = raw_text[[i]][rows],
      problem = ifelse(dup[rows], "duplicated id", "absent from first wave"),
      action = ifelse(dup[rows], "row dropped", "kept")
    )
  }
  out <- do.call(rbind, parts)
  out$wave <- factor(out$wave, levels = waves)
  out
}

stop_id_problems <- function(problems, keys, raw_text, waves, files,
                             late_entries = FALSE) {
  lines <- character()
  for (i in seq_along(waves)) {
    here <- problems[problems$wave == waves[i], , drop = FALSE]
    where <- sprintf("wave %s (file \"%s\")", waves[i], files[[i]])
    dup_rows <- here$row[here$problem == "duplicated id"]
    if (length(dup_rows) > 0L) {
      dup_keys <- unique(keys[[i]][dup_rows])
      examples <- vapply(utils::head(dup_keys, 5L), function(k) {
        rows <- which(keys[[i]] == k)
        sprintf(
          "\"%s\" (rows %s)", raw_text[[i]][rows[1L]], format_rows(rows)
        )
      }, character(1))
      lines <- c(lines, sprintf(
        "* %s: %d %s more than once (%d extra %s), e.g. %s%s.",
        where, length(dup_keys),
        if (length(dup_keys) == 1L) "id appears" else "ids appear",
        length(dup_rows), if (length(dup_rows) == 1L) "row" else "rows",
        paste(examples, collapse = ", "),
        if (length(dup_keys) > 5L) ", ..." else ""
      ))
    }
    absent_rows <- here$row[here$problem == "absent from first wave"]
    if (length(absent_rows) > 0L) {
      examples <- sprintf(
        "\"%s\" (row %d)", raw_text[[i]][absent_rows], absent_rows
      )
      lines <- c(lines, sprintf(
        "* %s: %d %s not in the first wave (%s), e.g. %s%s.",
        where, length(absent_rows),
        if (length(absent_rows) == 1L) "id is" else "ids are",
        waves[1L], paste(utils::head(examples, 5L), collapse = ", "),
        if (length(examples) > 5L) ", ..." else ""
      ))
    }
  }
  pa_abort(
    paste0(
      "Ids are duplicated within a wave or missing from the first wave ",
      "(ids compared without case or surrounding spaces):\n",
      paste(lines, collapse = "\n"),
      "\nCorrect the files, or use `strict = FALSE` to keep the first row of ",
      "each duplicated id and the ids absent from ", waves[1L], "; every ",
      "such row is then listed in attr(<result>, \"problems\")",
      if (!late_entries) {
        paste0(". If people may join after ", waves[1L], ", use ",
               "`late_entries = TRUE`.")
      } else {
        "."
      }
    ),
    class = "panelattrition_id_error", problems = problems
  )
}

warn_id_problems <- function(problems, waves) {
  counts <- character()
  for (w in waves) {
    here <- problems[problems$wave == w, , drop = FALSE]
    n_dup <- sum(here$problem == "duplicated id")
    n_absent <- sum(here$problem == "absent from first wave")
    what <- c(
      if (n_dup > 0L) {
        sprintf("%d duplicated %s dropped", n_dup, plural(n_dup, "row"))
      },
      if (n_absent > 0L) {
        sprintf(
          "%d %s absent from %s kept", n_absent, plural(n_absent, "id"),
          waves[1L]
        )
      }
    )
    if (length(what) > 0L) {
      counts <- c(counts, sprintf("%s: %s", w, paste(what, collapse = ", ")))
    }
  }
  pa_warn(
    paste0(
      "Ids needed attention (", paste(counts, collapse = "; "), "). ",
      "See attr(<result>, \"problems\")."
    ),
    class = "panelattrition_id_warning", problems = problems
  )
}

# Id problems and the reader's problems in one table, by wave then row.
merge_problems <- function(problems, reader_problems, waves, id) {
  n <- nrow(problems)
  parts <- list(data.frame(
    wave = problems$wave,
    row = as.integer(problems$row),
    line = if (is.null(problems$line)) rep(NA_integer_, n) else
      as.integer(problems$line),
    column = rep(id, n),
    id = problems$id,
    problem = problems$problem,
    expected = rep(NA_character_, n),
    actual = rep(NA_character_, n),
    action = problems$action
  ))
  for (i in seq_along(waves)) {
    p <- reader_problems[[i]]
    if (is.null(p) || nrow(p) == 0L) next
    m <- nrow(p)
    field <- function(name, as) {
      if (name %in% names(p)) as(p[[name]]) else as(rep(NA, m))
    }
    parts[[length(parts) + 1L]] <- data.frame(
      wave = factor(rep(waves[i], m), levels = waves),
      row = field("row", as.integer),
      line = field("line", as.integer),
      column = field("column", as.character),
      id = rep(NA_character_, m),
      problem = rep("reader", m),
      expected = field("expected", as.character),
      actual = field("actual", as.character),
      action = field("action", as.character)
    )
  }
  out <- do.call(rbind, parts)
  if (nrow(out) == 0L) return(NULL)
  out <- out[order(as.integer(out$wave), out$row, method = "radix"), ,
             drop = FALSE]
  rownames(out) <- NULL
  out
}

# For each wave, the columns to take again as text: those whose waves
# disagree on the type, other than integer next to double (which widens
# without changing a value). A wave where the column is all missing says
# nothing about its type.
columns_as_text <- function(tables) {
  out <- rep(list(character()), length(tables))
  others <- unique(unlist(lapply(tables, names), use.names = FALSE))
  for (col in others) {
    has <- which(vapply(tables, function(df) col %in% names(df), logical(1)))
    pieces <- lapply(tables[has], function(df) df[[col]])
    blank <- vapply(pieces, function(p) is.logical(p) && all(is.na(p)) &&
                      is.null(attr(p, "class")), logical(1))
    classes <- lapply(pieces[!blank], class)
    if (length(classes) < 2L ||
        all(vapply(classes, identical, logical(1), classes[[1L]]))) {
      next
    }
    ranks <- vapply(pieces[!blank], type_rank, integer(1))
    if (all(ranks %in% c(2L, 3L))) next
    for (k in which(!blank)) {
      if (!is.character(pieces[[k]])) {
        out[[has[k]]] <- c(out[[has[k]]], col)
      }
    }
  }
  out
}

# Stack one column's pieces (NULL where a wave lacks the column), widening
# the type so no value is lost.
stack_column <- function(pieces, sizes) {
  present <- pieces[!vapply(pieces, is.null, logical(1))]
  # A column left empty in a wave is read as all-NA logical; it says nothing
  # about the column's type and must not turn dates or factors into text.
  blank <- vapply(present, function(p) is.logical(p) && all(is.na(p)) &&
                    is.null(attr(p, "class")), logical(1))
  if (any(!blank)) present <- present[!blank]
  ranks <- vapply(present, type_rank, integer(1))
  classes <- lapply(present, class)
  if (all(vapply(classes, identical, logical(1), classes[[1L]]))) {
    template <- present[[1L]]
    cast <- function(p) if (is.logical(p) && all(is.na(p))) {
      template[rep(NA_integer_, length(p))]
    } else {
      p
    }
  } else if (all(ranks > 0L)) {
    template <- list(NA, NA_integer_, NA_real_, NA_character_)[[max(ranks)]]
    cast <- list(as.logical, as.integer, as.double, to_character)[[max(ranks)]]
  } else {
    template <- NA_character_
    cast <- to_character
  }
  filled <- lapply(seq_along(pieces), function(i) {
    p <- pieces[[i]]
    if (is.null(p)) template[rep(NA_integer_, sizes[i])] else cast(p)
  })
  out <- do.call(c, unname(filled))
  if (is.null(out)) template[0L] else out
}

# 1 logical, 2 integer, 3 double, 4 character; 0 for anything else.
type_rank <- function(x) {
  if (!is.null(attr(x, "class"))) return(0L)
  match(typeof(x), c("logical", "integer", "double", "character"),
        nomatch = 0L)
}

# as.character() would write 100000 as "1e+05"; ids and codes must not change
# spelling when a column is widened to character.
to_character <- function(x) {
  if (is.factor(x) || !is.double(x)) return(as.character(x))
  out <- as.character(x)
  whole <- !is.na(x) & is.finite(x) & x == round(x) & abs(x) < 1e15
  out[whole] <- sprintf("%.0f", x[whole])
  out
}

# Panel -----------------------------------------------------------------

#' Build a person-by-wave panel from long survey data
#'
#' Checks long survey data (one row per person and wave answered, as
#' [read_waves()] returns it) and records who answered which wave. The panel
#' is what the weighting and estimation functions take.
#'
#' The order of the waves comes from `waves` if given; otherwise from the
#' levels of `wave` if it is a factor (levels with no answers are kept, as
#' a wave nobody answered), from sorting its values if they are numbers,
#' or from the labels when their order is evident: numbers after a common
#' prefix (`T1`, `T2`, ..., `T10`) in numeric order, or ISO dates. Any
#' other labels (`"pre"`, `"2m"`, `"3m"`) need `waves`: without it the
#' error (class `panelattrition_wave_order_error`) shows the labels.
#'
#' `frame` lists everyone who started the programme, whether or not they ever
#' answered, one row per person; its id column must have the same name as in
#' `data`. With a frame, people who never answered are part of the panel, so
#' nonresponse at the first wave can be weighted too.
#'
#' Baseline covariates are person-level characteristics (group, gender, age
#' at entry...). Each is taken from `frame` when the frame has that column;
#' otherwise from `data`, where it must not change within a person: its
#' value is the first non-missing one in wave order, and `NA` for a person
#' who never reported it.
#'
#' @param data A data frame in long format: one row per person and wave
#'   answered.
#' @param id The name of the person identifier column (in `data`, and in
#'   `frame` if given).
#' @param wave The name of the wave column in `data`.
#' @param waves Optional vector of wave labels in the order the waves took
#'   place. Every wave in `data` must be among them; waves nobody answered
#'   may be included.
#' @param frame Optional data frame with one row per person who started,
#'   holding the id column and any baseline covariates from programme
#'   records.
#' @param baseline Optional character vector naming person-level covariates
#'   to collect into the panel's `baseline` table.
#' @param strata,cluster,fpc Optional names of columns giving the sampling
#'   design of the baseline sample: the stratum, the primary sampling unit
#'   (PSU, such as a household or an area) and the finite population
#'   correction of each person. Each is taken from `frame` when the frame
#'   has that column, otherwise from `data`, where it must be the same at
#'   every wave for a person; none may be missing. `cluster = NULL` makes
#'   each person a PSU, `strata = NULL` puts everyone in one stratum. `fpc`,
#'   constant within a stratum, is read as survey reads it: population
#'   numbers of PSUs per stratum, or, when every value is at most 1,
#'   sampling fractions of PSUs (turned into numbers with the baseline
#'   sample's count of PSUs in the stratum).
#' @param nest If `TRUE`, PSU labels are only unique within a stratum (PSU
#'   1 of stratum A is not PSU 1 of stratum B), as in
#'   `survey::svydesign(nest = TRUE)`. If `FALSE` (the default), a PSU label
#'   found in two strata is an error.
#' @param design Optional `survey.design2` object (from
#'   `survey::svydesign()`) for the baseline sample, instead of `strata`,
#'   `cluster` and `fpc`. Its rows are matched to the panel's people by the
#'   `id` column of its variables, and must be exactly the panel's people:
#'   everyone in `frame` if given, otherwise everyone in `data`. Its
#'   first-stage strata, PSUs and fpc become the panel's design (PSUs taken
#'   as nested in strata), and its sampling weights the base weights of
#'   [attrition_weights()].
#' @param lonely_psu What to do with a stratum that has one PSU, with
#'   survey's names: `"fail"` (an error), `"remove"` (the stratum adds
#'   nothing to the variance), `"adjust"` (its PSU is centred at the
#'   overall mean instead of the stratum mean) or `"average"` (the variance
#'   is scaled up by the number of strata over the number with more than
#'   one PSU). `NULL` (the default) reads
#'   `getOption("survey.lonely.psu")` each time a variance is computed
#'   (`"fail"` when unset).
#'
#' @section Sampling designs:
#' With a design, every variance of the package is design-based: the
#' influence values of an estimate are totalled within PSUs, centred within
#' strata and their squares summed, times \eqn{n_h / (n_h - 1)} and
#' \eqn{1 - n_h / N_h} for the \eqn{n_h} PSUs of stratum \eqn{h} among the
#' people used and its population count \eqn{N_h} (the fpc). This is the
#' first-stage ("ultimate cluster") variance of `survey::svyrecvar()`;
#' later stages of a multistage design are not added. The PSU of a person is
#' the same at every wave, so covariances between waves (changes,
#' transitions, comparisons) are kept. Naive variances count the PSUs of
#' the people who answered at least once (as survey does on a design of
#' the answers); sandwich variances count the PSUs of every person in the
#' panel. Bootstrap standard errors are not yet available with a design.
#'
#' @return An object of class `pa_panel`, a list with:
#'   * `data`: `data` with rows ordered by person then wave, and the wave
#'     column a factor with the panel's waves as levels;
#'   * `id`, `wave`: the column names;
#'   * `waves`: the wave labels in order;
#'   * `ids`: every person (everyone in `frame` if given, in frame order;
#'     else everyone in `data`, in order of first appearance);
#'   * `response`: a logical matrix, persons by waves, `TRUE` where the
#'     person answered, with dimnames `list(ids, waves)`;
#'   * `person`: an integer vector, one element per row of `data`, giving
#'     that row's person as an index into `ids` (and the rows of
#'     `response`);
#'   * `baseline`: a data frame with one row per person, in the order of
#'     `ids`: the id column followed by the `baseline` covariates;
#'   * `frame`: the frame, or `NULL`; `frame_given`: whether it was given;
#'   * `design` (only with a sampling design): a list with integer codes
#'     `strata` and `psu` and the population counts `popsize` (or `NULL`)
#'     per person, in the order of `ids`, the design's `weights` (from a
#'     `design` object), `lonely_psu` and `nest`.
#'
#' @seealso [response_pattern()], [summary.pa_panel()].
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' answers <- read_waves(files, id = "id")
#' panel <- panel_data(answers, id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' panel
#' head(panel$response)
#' head(panel$baseline)
#'
#' # A frame of everyone who started, including people who never answered:
#' frame <- data.frame(id = c(unique(answers$id), "P9001", "P9002"))
#' panel_data(answers, id = "id", wave = "wave", frame = frame)
#'
#' # A stratified sample of households (pairs of people here), in 4 regions
#' person <- match(answers$id, unique(answers$id))
#' answers$household <- (person + 1) %/% 2
#' answers$region <- answers$household %% 4
#' clustered <- panel_data(answers, id = "id", wave = "wave",
#'                         baseline = c("group", "gender", "age"),
#'                         strata = "region", cluster = "household")
#' w <- attrition_weights(clustered, ~ group + gender + age, monotone = FALSE)
#' wave_means(w, "wellbeing")
panel_data <- function(data, id, wave, waves = NULL, frame = NULL,
                       baseline = NULL, strata = NULL, cluster = NULL,
                       fpc = NULL, nest = FALSE, design = NULL,
                       lonely_psu = NULL) {
  if (!is.data.frame(data)) arg_error("data", "a data frame", data)
  check_string(id, "id")
  check_string(wave, "wave")
  if (identical(id, wave)) {
    pa_abort(
      sprintf("`id` and `wave` must name different columns, not both \"%s\".",
              id),
      class = "panelattrition_arg_error", argument = "wave"
    )
  }
  if (!is.null(waves)) {
    if (!(is.character(waves) || is.numeric(waves) || is.factor(waves)) ||
        length(waves) == 0L || anyNA(waves)) {
      arg_error("waves", "NULL or a vector of wave labels without NA", waves)
    }
    waves <- as.character(waves)
    if (anyDuplicated(waves)) {
      pa_abort(
        sprintf("`waves` must not repeat a wave; %s appears more than once.",
                format_values(unique(waves[duplicated(waves)]))),
        class = "panelattrition_arg_error", argument = "waves"
      )
    }
  }
  if (!is.null(frame) && !is.data.frame(frame)) {
    arg_error("frame", "NULL or a data frame", frame)
  }
  if (!is.null(baseline) && (!is.character(baseline) || anyNA(baseline))) {
    arg_error("baseline", "NULL or a character vector of column names",
              baseline)
  }
  if (!is.null(baseline) && any(baseline %in% c(id, wave))) {
    pa_abort(
      sprintf(
        "`baseline` must not include the id or wave column (%s).",
        format_names(intersect(baseline, c(id, wave)))
      ),
      class = "panelattrition_arg_error", argument = "baseline"
    )
  }
  need_column(data, "data", id, "id")
  need_column(data, "data", wave, "wave")

  id_values <- data[[id]]
  if (is.factor(id_values)) id_values <- as.character(id_values)
  no_id <- which(is_missing_id(id_values))
  if (length(no_id) > 0L) {
    pa_abort(
      sprintf("Id column `%s` of `data` has %d missing %s, in %s %s.",
              id, length(no_id), plural(length(no_id), "value"),
              plural(length(no_id), "row"), format_rows(no_id)),
      class = "panelattrition_panel_error", rows = no_id
    )
  }
  wave_values <- data[[wave]]
  wave_text <- as.character(wave_values)
  no_wave <- which(is.na(wave_values) | trimws(wave_text) == "")
  if (length(no_wave) > 0L) {
    pa_abort(
      sprintf("Wave column `%s` of `data` has %d missing %s, in %s %s.",
              wave, length(no_wave), plural(length(no_wave), "value"),
              plural(length(no_wave), "row"), format_rows(no_wave)),
      class = "panelattrition_panel_error", rows = no_wave
    )
  }

  if (is.null(waves)) {
    waves <- if (is.factor(wave_values)) {
      levels(wave_values)
    } else if (is.numeric(wave_values)) {
      as.character(sort(unique(wave_values)))
    } else {
      wave_order(unique(wave_text), wave)
    }
  } else {
    unknown <- setdiff(unique(wave_text), waves)
    if (length(unknown) > 0L) {
      counts <- vapply(unknown, function(w) sum(wave_text == w), integer(1))
      pa_abort(
        sprintf(
          paste(
            "Wave column `%s` of `data` has %d %s not in `waves`: %s.",
            "`waves` is %s; add the missing waves to it, or drop those rows."
          ),
          wave, length(unknown), plural(length(unknown), "value"),
          paste0(
            sprintf("\"%s\" (%d %s)", utils::head(unknown, 10L),
                    utils::head(counts, 10L),
                    plural(utils::head(counts, 10L), "row")),
            collapse = ", "
          ),
          format_values(waves, n = Inf)
        ),
        class = "panelattrition_panel_error", waves = unknown
      )
    }
  }

  frame_given <- !is.null(frame)
  if (frame_given) {
    need_column(frame, "frame", id, "id")
    frame_ids <- frame[[id]]
    if (is.factor(frame_ids)) frame_ids <- as.character(frame_ids)
    if (is.character(frame_ids) != is.character(id_values)) {
      frame_ids <- to_character(frame_ids)
      id_values <- to_character(id_values)
    }
    no_id <- which(is_missing_id(frame_ids))
    if (length(no_id) > 0L) {
      pa_abort(
        sprintf("Id column `%s` of `frame` has %d missing %s, in %s %s.",
                id, length(no_id), plural(length(no_id), "value"),
                plural(length(no_id), "row"), format_rows(no_id)),
        class = "panelattrition_panel_error", rows = no_id
      )
    }
    if (anyDuplicated(frame_ids)) {
      repeated <- unique(frame_ids[duplicated(frame_ids)])
      pa_abort(
        sprintf(
          paste(
            "`frame` must list each person once, but %d %s more than once:",
            "%s."
          ),
          length(repeated),
          if (length(repeated) == 1L) "id appears" else "ids appear",
          format_values(repeated)
        ),
        class = "panelattrition_panel_error", ids = repeated
      )
    }
    outside <- unique(id_values[!id_values %in% frame_ids])
    if (length(outside) > 0L) {
      pa_abort(
        sprintf(
          paste(
            "%d %s in `data` %s not in `frame`: %s. The frame must list",
            "everyone who started, so every respondent must be in it."
          ),
          length(outside), plural(length(outside), "id"),
          if (length(outside) == 1L) "is" else "are",
          format_values(outside)
        ),
        class = "panelattrition_panel_error", ids = outside
      )
    }
    ids <- frame_ids
  } else {
    ids <- unique(id_values)
  }

  person <- match(id_values, ids)
  occasion <- match(wave_text, waves)
  nwave <- length(waves)
  cell <- (person - 1) * nwave + occasion
  repeated <- duplicated(cell)
  if (any(repeated)) {
    bad_cells <- unique(cell[repeated])
    examples <- vapply(utils::head(bad_cells, 5L), function(cl) {
      rows <- which(cell == cl)
      sprintf("id \"%s\" at wave \"%s\" (rows %s)",
              to_character(id_values[rows[1L]]), wave_text[rows[1L]],
              format_rows(rows))
    }, character(1))
    pa_abort(
      sprintf(
        paste(
          "`data` must have at most one row per person and wave, but %d",
          "%s a person and wave already seen (%d %s), e.g. %s%s.",
          "Remove the duplicates, or read the files with",
          "read_waves(strict = FALSE), which keeps the first."
        ),
        sum(repeated), plural(sum(repeated), "row repeats", "rows repeat"),
        length(bad_cells),
        plural(length(bad_cells), "person-wave"),
        paste(examples, collapse = ", "),
        if (length(bad_cells) > 5L) ", ..." else ""
      ),
      class = "panelattrition_panel_error", rows = which(repeated)
    )
  }

  ord <- order(person, occasion, method = "radix")
  data <- data[ord, , drop = FALSE]
  data[[wave]] <- factor(wave_text[ord], levels = waves)
  rownames(data) <- NULL
  person <- person[ord]
  occasion <- occasion[ord]

  ids_text <- to_character(ids)
  response <- matrix(FALSE, length(ids), nwave,
                     dimnames = list(ids_text, waves))
  response[cbind(person, occasion)] <- TRUE

  base <- collect_baseline(data, frame, id, ids, ids_text, person, baseline)
  sampling <- build_sampling_design(data, frame, id, ids, ids_text, person,
                                    strata, cluster, fpc, nest, design,
                                    lonely_psu)

  out <- list(
    data = data, id = id, wave = wave, waves = waves, ids = ids,
    response = response, person = person, baseline = base, frame = frame,
    frame_given = frame_given
  )
  # without a design the panel is exactly what it was before designs
  if (!is.null(sampling)) out$design <- sampling
  structure(out, class = "pa_panel")
}

# Character wave labels in the order the waves took place, when the labels
# make it evident: numbers after a common prefix ("T1", "T2", ..., "T10",
# or "1", "2", ..., "10") in numeric order, and ISO dates ("2023-05") in
# date order. Sorting other labels alphabetically would silently put
# "T10" before "T2", or "pre" after "2m", so they need `waves`.
wave_order <- function(labels, wave) {
  if (length(labels) <= 1L) return(labels)
  if (all(grepl("^[0-9]{4}(-[0-9]{2}){0,2}$", labels)) &&
      length(unique(nchar(labels))) == 1L) {
    return(sort(labels, method = "radix"))
  }
  numbered <- regmatches(labels, regexec("^(.*?)([0-9]+)$", labels))
  if (all(lengths(numbered) == 3L)) {
    prefix <- vapply(numbered, `[`, "", 2L)
    number <- as.numeric(vapply(numbered, `[`, "", 3L))
    if (length(unique(prefix)) == 1L && !anyDuplicated(number)) {
      return(labels[order(number)])
    }
  }
  pa_abort(
    sprintf(
      paste(
        "The order of the waves in column `%s` is not evident from their",
        "labels (%s). Give it with `waves`, e.g. waves = c(%s)."
      ),
      wave, format_values(labels, n = 20L),
      paste0("\"", utils::head(labels, 3L), "\"", collapse = ", ")
    ),
    class = c("panelattrition_wave_order_error", "panelattrition_panel_error"),
    argument = "waves", labels = labels
  )
}

# The person (row of `panel$response`) of each row of `panel$data`. A panel
# that does not carry `person` (built by hand) gets it by matching the ids'
# spelling against the row names of `response`.
person_index <- function(panel) {
  person <- panel$person
  if (is.integer(person) && length(person) == nrow(panel$data)) {
    return(person)
  }
  match(to_character(panel$data[[panel$id]]), rownames(panel$response))
}

need_column <- function(df, df_name, column, arg) {
  if (column %in% names(df)) return(invisible())
  pa_abort(
    sprintf(
      "Column `%s` (given as `%s`) is not in `%s`.%s Its columns are: %s.",
      column, arg, df_name, did_you_mean(column, names(df)),
      format_names(names(df))
    ),
    class = "panelattrition_panel_error", argument = arg
  )
}

# `data` is sorted by person then wave, `person` indexes `ids` row by row.
collect_baseline <- function(data, frame, id, ids, ids_text, person,
                             baseline) {
  base <- list()
  base[[id]] <- ids
  if (is.null(baseline)) return(list2DF(base))
  in_frame <- if (is.null(frame)) {
    rep(FALSE, length(baseline))
  } else {
    baseline %in% names(frame)
  }
  absent <- baseline[!in_frame & !baseline %in% names(data)]
  if (length(absent) > 0L) {
    pa_abort(
      sprintf(
        "Baseline %s not found in %s: %s.",
        plural(length(absent), "covariate"),
        if (is.null(frame)) "`data`" else "`frame` or `data`",
        format_names(absent)
      ),
      class = "panelattrition_panel_error", columns = absent
    )
  }
  n <- length(ids)
  for (j in seq_along(baseline)) {
    v <- baseline[j]
    if (in_frame[j]) {
      base[[v]] <- frame[[v]]
      next
    }
    x <- data[[v]]
    answered <- which(!is.na(x))
    first <- answered[!duplicated(person[answered])]
    value <- x[rep(NA_integer_, n)]
    value[person[first]] <- x[first]
    differs <- x[answered] != value[person[answered]]
    if (any(differs)) {
      who <- unique(person[answered][differs])
      examples <- vapply(utils::head(who, 5L), function(p) {
        seen <- unique(x[person == p & !is.na(x)])
        sprintf("\"%s\" (%s)", ids_text[p], format_values(seen))
      }, character(1))
      pa_abort(
        sprintf(
          paste(
            "Baseline covariate `%s` must be the same at every wave for a",
            "person, but takes more than one value for %d %s, e.g. %s%s.",
            "Correct the data, or give its baseline value in `frame`."
          ),
          v, length(who), plural(length(who), "person", "people"),
          paste(examples, collapse = ", "),
          if (length(who) > 5L) ", ..." else ""
        ),
        class = "panelattrition_panel_error", column = v,
        ids = ids[who]
      )
    }
    base[[v]] <- value
  }
  list2DF(base)
}

#' Tabulate response patterns
#'
#' Counts the people of a panel by the waves they answered. A pattern has one
#' character per wave, in order: `1` where the person answered, `0` where not,
#' so with three waves `110` is someone who answered the first two waves and
#' then dropped out, and `101` someone who missed the second wave and came
#' back.
#'
#' @param panel A `pa_panel` from [panel_data()].
#'
#' @return A data frame of class `pa_pattern` with one row per pattern that
#'   occurs: `pattern`, one logical column per wave (named after it), `n`
#'   (number of people) and `percent` (of all people in the panel), sorted by
#'   decreasing `n`, then by pattern.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' answers <- read_waves(files, id = "id")
#' panel <- panel_data(answers, id = "id", wave = "wave")
#' response_pattern(panel)
response_pattern <- function(panel) {
  if (!inherits(panel, "pa_panel")) {
    arg_error("panel", "a pa_panel from panel_data()", panel)
  }
  r <- panel$response
  codes <- pattern_codes(r)
  first <- !duplicated(codes)
  n <- tabulate(match(codes, codes[first]), nbins = sum(first))
  total <- nrow(r)
  out <- list(pattern = codes[first])
  for (j in seq_along(panel$waves)) {
    out[[panel$waves[j]]] <- unname(r[first, j])
  }
  out$n <- n
  out$percent <- if (total > 0L) 100 * n / total else numeric()
  out <- list2DF(out)
  out <- out[order(-out$n, out$pattern, method = "radix"), , drop = FALSE]
  rownames(out) <- NULL
  class(out) <- c("pa_pattern", "data.frame")
  out
}

pattern_codes <- function(response) {
  if (nrow(response) == 0L) return(character())
  bits <- ifelse(response, "1", "0")
  dim(bits) <- dim(response)
  do.call(paste0, lapply(seq_len(ncol(bits)), function(j) bits[, j]))
}

#' @rdname response_pattern
#' @param x A `pa_pattern` object.
#' @param ... Ignored.
#' @export
print.pa_pattern <- function(x, ...) {
  waves <- setdiff(names(x), c("pattern", "n", "percent"))
  total <- sum(x$n)
  cat(sprintf(
    "Response patterns over %d %s (%s; 1 = answered), %d %s\n",
    length(waves), plural(length(waves), "wave"),
    paste(waves, collapse = ", "), total,
    plural(total, "person", "people")
  ))
  if (nrow(x) == 0L) return(invisible(x))
  shown <- data.frame(
    pattern = x$pattern,
    n = x$n,
    percent = sprintf("%.1f%%", x$percent)
  )
  print(shown, row.names = FALSE, right = TRUE)
  invisible(x)
}

#' @rdname panel_data
#' @param x A `pa_panel` object.
#' @param ... Ignored.
#' @export
print.pa_panel <- function(x, ...) {
  n <- length(x$ids)
  cat(sprintf(
    "<pa_panel> %d %s, %d %s (%s), %d %s of answers\n",
    n, plural(n, "person", "people"), length(x$waves),
    plural(length(x$waves), "wave"), paste(x$waves, collapse = ", "),
    nrow(x$data), plural(nrow(x$data), "row")
  ))
  answered <- colSums(x$response)
  cat("Answered: ", paste0(x$waves, " ", answered, collapse = ", "), "\n",
      sep = "")
  if (x$frame_given) {
    never <- sum(rowSums(x$response) == 0)
    cat(sprintf(
      "Frame of %d starters; %d never answered\n", n, never
    ))
  }
  covariates <- setdiff(names(x$baseline), x$id)
  if (length(covariates) > 0L) {
    cat("Baseline covariates: ", paste(covariates, collapse = ", "), "\n",
        sep = "")
  }
  invisible(x)
}

#' Summarise who answered when
#'
#' Reports the size of a panel, how many people answered each wave, how many
#' of the first wave's respondents were still answering, whether dropout is
#' monotone, and the most common response patterns.
#'
#' Retention at a wave is the share of the first wave's respondents who also
#' answered that wave. When a frame was given, the response rate at a wave is
#' the share of everyone in the frame who answered it. Dropout is monotone
#' when nobody answers again after missing a wave (`returned`) and nobody
#' answers for the first time after the first wave (`late_entry`); methods
#' that assume monotone dropout need both counts to be zero.
#'
#' @param object A `pa_panel` from [panel_data()].
#' @param x A `summary.pa_panel` object.
#' @param ... Ignored.
#'
#' @return An object of class `summary.pa_panel`, a list with `n_people`,
#'   `n_respondents` (people who answered at least one wave), `frame_given`,
#'   `waves` (a data frame: `wave`, `n`, `retained` = first-wave respondents
#'   who answered this wave, `pct_retained` = `retained` as a percentage of
#'   the first wave's respondents, and with a frame `pct_frame` = `n` as a
#'   percentage of the frame), `returned`, `late_entry`, `monotone`, and
#'   `patterns` (the five most common rows of [response_pattern()]).
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' answers <- read_waves(files, id = "id")
#' panel <- panel_data(answers, id = "id", wave = "wave")
#' s <- summary(panel)
#' s
#' s$waves
summary.pa_panel <- function(object, ...) {
  r <- object$response
  n_people <- nrow(r)
  answered <- colSums(r)
  first_wave <- if (ncol(r) > 0L) r[, 1L] else logical(n_people)
  retained <- colSums(r & first_wave)
  n_first <- sum(first_wave)
  waves <- data.frame(
    wave = object$waves,
    n = as.integer(answered),
    retained = as.integer(retained),
    pct_retained = if (n_first > 0L) 100 * retained / n_first else NA_real_
  )
  if (object$frame_given) {
    waves$pct_frame <- if (n_people > 0L) 100 * answered / n_people else
      NA_real_
  }
  rownames(waves) <- NULL

  # A gap between a person's first and last answered wave means a return.
  count <- rowSums(r)
  seen <- count > 0L
  answered_at <- col(r)
  answered_at[!r] <- NA
  first_answer <- suppressWarnings(apply(answered_at, 1L, min, na.rm = TRUE))
  last_answer <- suppressWarnings(apply(answered_at, 1L, max, na.rm = TRUE))
  returned <- sum(seen & last_answer - first_answer + 1L > count)
  late_entry <- sum(seen & first_answer > 1L)

  structure(
    list(
      n_people = n_people,
      n_respondents = sum(seen),
      frame_given = object$frame_given,
      waves = waves,
      returned = returned,
      late_entry = late_entry,
      monotone = returned == 0L && late_entry == 0L,
      patterns = utils::head(response_pattern(object), 5L)
    ),
    class = "summary.pa_panel"
  )
}

#' @rdname summary.pa_panel
#' @export
print.summary.pa_panel <- function(x, ...) {
  cat(sprintf(
    "Panel of %d %s over %d %s; %d answered at least once%s\n\n",
    x$n_people, plural(x$n_people, "person", "people"), nrow(x$waves),
    plural(nrow(x$waves), "wave"), x$n_respondents,
    if (x$frame_given) " (frame given)" else ""
  ))
  shown <- data.frame(
    wave = x$waves$wave,
    answered = x$waves$n,
    retained = x$waves$retained,
    "% of first wave" = format_percent(x$waves$pct_retained),
    check.names = FALSE
  )
  if (x$frame_given) {
    shown[["% of frame"]] <- format_percent(x$waves$pct_frame)
  }
  print(shown, row.names = FALSE, right = TRUE)
  cat("\n")
  if (x$monotone) {
    cat("Dropout is monotone: nobody answers again after missing a wave.\n")
  } else {
    cat(sprintf(
      paste(
        "Dropout is not monotone: %d %s answered again after missing a",
        "wave, %d first answered after the first wave.\n"
      ),
      x$returned, plural(x$returned, "person", "people"), x$late_entry
    ))
  }
  cat("\nMost common patterns (1 = answered):\n")
  patterns <- data.frame(
    pattern = x$patterns$pattern,
    n = x$patterns$n,
    percent = format_percent(x$patterns$percent)
  )
  print(patterns, row.names = FALSE, right = TRUE)
  invisible(x)
}
