# What a table of estimates may show, and how its covariance follows its
# rows.
#
# Two concerns live here because both decide what leaves the package with
# an estimate table:
# * Small cells (min_n): which cells are suppressed, including the cells
#   suppressed only so that a suppressed one cannot be recovered by
#   differencing (complementary suppression), and the masking of every
#   number that belongs to them.
# * Row identity: a table's covariance, influence values and replicates are
#   keyed by the identity of its rows (outcome, level, from, wave, group,
#   statuses), so a subset or reordering made by `[`, dplyr or subset()
#   still finds the right covariance, and a table the package cannot vouch
#   for (rows bound from two tables, duplicated rows, edited estimates) is
#   refused instead of being compared with a covariance that is not its
#   own.

# Small cells -----------------------------------------------------------------

# Which cells of a table to suppress. A cell is suppressed when fewer than
# `min_n` people give it a value, and a proportion also when fewer than
# `min_n` of them have the attribute or fewer than `min_n` lack it (a
# count of 1 identifies one person). Then, within every family of cells
# whose estimates combine into a published total (the groups of one
# outcome, level and wave; the levels of one categorical outcome in one
# group and wave, which sum to 1), a family with exactly one suppressed
# cell loses its next-smallest cell too, until no family has a lone
# suppressed cell. Returns list(primary, suppressed).
suppress_cells <- function(cells, n, min_n) {
  q <- nrow(cells)
  count <- rep(NA_real_, q)
  prop <- cells$type == "proportion"
  count[prop] <- vapply(cells$values[prop], function(v) sum(v == 1),
                        numeric(1))
  primary <- n < min_n
  primary[prop] <- primary[prop] | count[prop] < min_n |
    (n[prop] - count[prop]) < min_n
  # an empty cell protects nobody and needs no partner
  primary <- primary & n > 0
  supp <- primary | (n == 0 & min_n > 0)
  # (no family has a lone hidden cell when no cell with respondents is
  # hidden)
  if (!anyNA(n) && !any(supp & n > 0)) {
    return(list(primary = primary, suppressed = supp))
  }
  from_status <- cells$from_status %||% rep(NA_character_, q)
  group <- as.character(cells$group)
  level <- cells$level
  families <- list()
  if (!all(is.na(group))) {
    families$group <- interaction(cells$outcome, addNA(factor(level)),
                                  addNA(factor(from_status)), cells$wave_index,
                                  drop = TRUE)
  }
  if (any(!is.na(level)) && any(prop)) {
    families$level <- interaction(cells$outcome, addNA(factor(group)),
                                  addNA(factor(from_status)), cells$wave_index,
                                  drop = TRUE)
    families$level[is.na(level)] <- NA
  }
  size <- ifelse(prop & !is.na(level), pmin(count, n - count), n)
  for (iter in seq_len(q)) {
    changed <- FALSE
    for (f in families) {
      for (s in split(seq_len(q), f)) {
        hidden <- s[supp[s] & n[s] > 0]
        shown <- s[!supp[s]]
        if (length(hidden) != 1L || !length(shown)) next
        pick <- shown[order(size[shown], n[shown])[1L]]
        supp[pick] <- TRUE
        changed <- TRUE
      }
    }
    if (!changed) break
  }
  list(primary = primary, suppressed = supp)
}

suppression_message <- function(primary, suppressed, min_n) {
  k <- sum(primary)
  extra <- sum(suppressed & !primary)
  if (!k && !extra) return(invisible(NULL))
  message(sprintf(
    "%d %s with fewer than %s respondents (or counts) suppressed%s.",
    k, plural(k, "cell"), format(min_n),
    if (extra) sprintf(", and %d more so that %s cannot be recovered by differencing",
                       extra, if (k == 1L) "it" else "they") else ""
  ))
}

# Every number of a suppressed cell goes: estimate, interval, counts,
# covariance, influence values and replicates.
mask_suppressed <- function(out, est, suppressed) {
  for (v in intersect(c("estimate", "std_error", "conf_low", "conf_high",
                        "n", "n_eff"), names(out))) {
    out[[v]][suppressed] <- NA
  }
  est$vcov[suppressed, ] <- NA
  est$vcov[, suppressed] <- NA
  # nothing to mask leaves the (people x rows) influence values uncopied
  none <- is.logical(suppressed) && !anyNA(suppressed) && !any(suppressed)
  if (!is.null(est$influence) && !none) {
    if (inherits(est$influence, "pa_columns")) {
      # a column held by its entries goes as a whole
      est$influence[suppressed] <- list(NULL)
    } else if (inherits(est$influence, "pa_split")) {
      cut <- which(seq_len(attr(est$influence, "q")) %in%
                     which(suppressed %in% TRUE | is.na(suppressed)))
      dense_at <- match(cut, est$influence$dense_cols, nomatch = 0L)
      est$influence$dense[, dense_at] <- NA
      sparse_at <- match(cut, est$influence$sparse_cols, nomatch = 0L)
      est$influence$columns[sparse_at] <- list(NULL)
    } else {
      est$influence[, suppressed] <- NA
    }
  }
  if (!is.null(est$replicates)) est$replicates[, suppressed] <- NA
  list(out = out, est = est)
}

# Does some combination of the values of `vars` (a list of vectors, NA a
# value of its own) hold fewer than min_n distinct people (`person`, in
# 1..n_people)? `most`, when given, is the largest number of rows of one
# person (else counted here).
any_small_cell <- function(vars, person, n_people, min_n, most = NULL) {
  cell <- 0
  size <- 1
  for (v in vars) {
    code <- if (is.factor(v)) {
      as.integer(unclass(v))
    } else {
      match(v, unique(v))
    }
    code[is.na(code)] <- 0L
    cell <- cell + size * code
    size <- size * (max(code) + 1)
    if (size > 2^31) return(TRUE)
  }
  # a screen: a cell with r rows holds at least r / k people when nobody
  # has more than k rows, so when every cell has min_n k rows or more,
  # none is small (without the pairs of cell and person below)
  if (size <= 2^24) {
    rows_in <- tabulate(cell + 1, size)
    if (is.null(most)) most <- max(tabulate(person, n_people))
    if (all(rows_in[rows_in > 0L] >= min_n * most)) return(FALSE)
  }
  cell <- match(cell, unique(cell))
  first <- !duplicated((cell - 1) * as.double(n_people) + person)
  counts <- tabulate(cell[first], max(cell))
  any(counts < min_n)
}

# Counts shown in tables rounded to a base (option
# panelattrition.round_counts), so that counts of overlapping tables cannot
# be differenced down to a few people.
round_counts <- function(n) {
  base <- getOption("panelattrition.round_counts", NULL)
  if (is.null(base)) return(n)
  if (!is.numeric(base) || length(base) != 1L || is.na(base) || base < 1) {
    pa_abort(sprintf("The option `panelattrition.round_counts` must be a whole number of at least 1, not %s.",
                     describe_value(base)),
             class = "panelattrition_option_error",
             option = "panelattrition.round_counts")
  }
  base * round(n / base)
}

# Row identity ----------------------------------------------------------------

key_column_names <- function(x, by = attr(x, "by")) {
  intersect(c("outcome", "level", "from", "wave", by, "from_status",
              "to_status"), names(x))
}

row_keys <- function(df, cols) {
  if (!length(cols) || !nrow(df)) return(character(nrow(df)))
  parts <- lapply(cols, function(v) {
    x <- df[[v]]
    if (!is.atomic(x) || !is.null(dim(x))) return(rep("\x1flist", nrow(df)))
    ifelse(is.na(x), "\x1fNA", as.character(x))
  })
  do.call(paste, c(parts, sep = "\x1e"))
}

# Record the identity of each row with what is kept per row, called when a
# table is made: the covariance, influence values and replicates are named
# by it, and the estimates, standard errors and counts are remembered so
# that edited rows are recognised.
seal_estimates <- function(out) {
  cols <- key_column_names(out)
  keys <- row_keys(out, cols)
  attr(out, "key_columns") <- cols
  vc <- attr(out, "vcov")
  if (!is.null(vc)) dimnames(vc) <- list(keys, keys)
  attr(out, "vcov") <- vc
  infl <- attr(out, "influence")
  # the influence values are named only in tables that keep them (made by
  # people_table()); the others drop them (finish_table()), and naming
  # them would copy a people x rows matrix
  if (!is.null(infl) && isTRUE(pa_people$keep)) {
    colnames(infl$values) <- keys
    attr(out, "influence") <- infl
  }
  reps <- attr(out, "replicates")
  if (!is.null(reps)) {
    colnames(reps) <- keys
    attr(out, "replicates") <- reps
  }
  attr(out, "rows") <- row_fingerprint(out, keys)
  out
}

row_fingerprint <- function(x, keys) {
  fp <- data.frame(key = keys, stringsAsFactors = FALSE)
  for (v in c("estimate", "std_error", "n")) {
    fp[[v]] <- if (v %in% names(x)) as.double(x[[v]]) else NA_real_
  }
  fp
}

# The positions in the stored covariance of the rows of x, in row order;
# an error of class panelattrition_table_error when the rows are not all
# rows the table was estimated with, each once and unchanged.
table_rows <- function(x, fn) {
  stop_table <- function(why, fix) {
    pa_abort(sprintf("%s: `x` %s, so the covariance of its estimates is not known. %s",
                     fn, why, fix),
             class = c("panelattrition_table_error",
                       "panelattrition_arg_error"),
             argument = "x")
  }
  fix <- paste("Make the table again with the estimating function, or",
               "subset or reorder one table (filter(), arrange(), `[`)",
               "without binding or editing its rows.")
  cols <- attr(x, "key_columns")
  fp <- attr(x, "rows")
  if (is.null(cols) || is.null(fp)) {
    stop_table("has lost the record of its rows", fix)
  }
  missing_cols <- setdiff(cols, names(x))
  if (length(missing_cols)) {
    stop_table(sprintf("has lost its column%s %s",
                       if (length(missing_cols) > 1L) "s" else "",
                       format_names(missing_cols)), fix)
  }
  keys <- row_keys(x, cols)
  if (anyDuplicated(keys)) {
    stop_table("has the same row more than once (bound with itself or with an overlapping table?)",
               fix)
  }
  pos <- match(keys, fp$key)
  if (anyNA(pos)) {
    stop_table(sprintf("has %d %s that %s not estimated with the rest (bound from several tables, or key columns edited?)",
                       sum(is.na(pos)), plural(sum(is.na(pos)), "row"),
                       if (sum(is.na(pos)) == 1L) "was" else "were"), fix)
  }
  same <- function(a, b) (is.na(a) & is.na(b)) | (!is.na(a) & !is.na(b) & a == b)
  for (v in c("estimate", "std_error", "n")) {
    now <- if (v %in% names(x)) as.double(x[[v]]) else rep(NA_real_, nrow(x))
    if (!all(same(now, fp[[v]][pos]))) {
      stop_table(sprintf("has `%s` values that differ from those it was estimated with",
                         v), fix)
    }
  }
  pos
}

# The covariance of the estimates of x, in row order.
table_vcov <- function(x, fn) {
  pos <- table_rows(x, fn)
  vc <- attr(x, "vcov")[pos, pos, drop = FALSE]
  dimnames(vc) <- NULL
  vc
}

# The influence values of the estimates of x, one column per row.
table_influence <- function(x, fn) {
  infl <- attr(x, "influence")
  if (is.null(infl)) return(NULL)
  pos <- table_rows(x, fn)
  infl$values <- infl$values[, pos, drop = FALSE]
  infl
}

# After `[`: keep the parts of the stored covariance, influence values and
# replicates that belong to the rows that remain (identified by key), so a
# subset is no heavier than it needs to be.
restrict_stored <- function(out, old) {
  cols <- old$key_columns
  fp <- old$rows
  for (a in setdiff(names(old), c("names", "row.names", "class"))) {
    attr(out, a) <- old[[a]]
  }
  if (is.null(cols) || is.null(fp) || !all(cols %in% names(out))) return(out)
  keep <- sort(unique(stats::na.omit(match(row_keys(out, cols), fp$key))))
  if (length(keep) == nrow(fp)) return(out)
  if (!is.null(old$vcov)) {
    attr(out, "vcov") <- old$vcov[keep, keep, drop = FALSE]
  }
  if (!is.null(old$influence)) {
    infl <- old$influence
    infl$values <- infl$values[, keep, drop = FALSE]
    attr(out, "influence") <- infl
  }
  if (!is.null(old$replicates)) {
    attr(out, "replicates") <- old$replicates[, keep, drop = FALSE]
  }
  if (!is.null(old$tipping)) {
    attr(out, "tipping") <- restrict_tipping(old$tipping, keep)
  }
  fp <- fp[keep, , drop = FALSE]
  rownames(fp) <- NULL
  attr(out, "rows") <- fp
  out
}

# Suppression for the sensitivity tables (bounds, tilting), whose rows are
# cells of a stratum (wave, tilt) and a group: `values` are the observed
# values behind each row, and `cols` the columns that go with a suppressed
# row.
suppress_table_rows <- function(out, stratum, group, values, proportion,
                                min_n, cols) {
  cells <- data.frame(outcome = "", level = NA_character_,
                      wave_index = as.integer(factor(stratum)),
                      group = group, stringsAsFactors = FALSE)
  cells$type <- if (proportion) "proportion" else "mean"
  cells$values <- I(values)
  s <- suppress_cells(cells, lengths(values), min_n)
  suppression_message(s$primary, s$suppressed, min_n)
  for (v in intersect(cols, names(out))) out[[v]][s$suppressed] <- NA
  out$suppressed <- s$suppressed
  out
}

# Models: ipw_gee() refuses a model whose coefficients are determined, in
# some direction, by fewer than min_n people. Two ways it happens: a
# column of the model matrix non-zero for fewer than min_n people, or a
# cell of the model's categorical variables with fewer than min_n people
# whose rows are needed for the model matrix's rank. Rank only falls as
# rows are removed, so the small cells are first taken out together and
# examined one by one only when that loses rank.
#
# x is the model matrix, dense or compressed as gee_model_matrix() makes
# it (its distinct rows, with each answer's row, from 0, in the attribute
# "code" and the answers of each row in "count"); `most` is the largest
# number of answers of one person (max(tabulate(person)) when NULL). With a
# compressed matrix, the questions that counts answer are answered from
# its rows: a person is in at most `most` answers of a row, so a row of
# count min_n * most or more holds min_n people or more.
check_model_cells <- function(x, mf, person, min_n, most = NULL) {
  code <- attr(x, "code", exact = TRUE)
  count <- attr(x, "count", exact = TRUE)
  n_rows <- if (is.null(code)) nrow(x) else length(code)
  if (min_n <= 1 || !n_rows) return(invisible(NULL))
  refuse <- function(what) {
    pa_abort(
      sprintf(paste("ipw_gee(): the coefficients of `formula` are determined",
                    "by fewer than `min_n` (%s) people for %s, so they would",
                    "publish a cell that tables suppress. Merge small",
                    "categories or simplify the model."),
              format(min_n), what),
      class = c("panelattrition_disclosure_error", "panelattrition_arg_error"),
      argument = "formula"
    )
  }
  n_people <- max(person)
  if (is.null(most)) most <- max(tabulate(person, n_people))
  # whether a column is non-zero for some but fewer than min_n people: a
  # column whose first rows already hold min_n people is not, and only the
  # other columns are counted in full
  # (the first rows are read first, so a dense column costs 64 min_n
  # rows rather than a pass over every answer; a compressed matrix's
  # column is not when one of its rows with a non-zero there has count
  # min_n * most or more)
  head_rows <- seq_len(min(n_rows, 64 * min_n))
  head_person <- person[head_rows]
  sparse <- vapply(seq_len(ncol(x)), function(j) {
    if (!is.null(code)) {
      nz <- x[, j] != 0
      if (any(count[nz] >= min_n * most)) return(FALSE)
      if (length(unique(head_person[nz[code[head_rows] + 1L]])) >= min_n) {
        return(FALSE)
      }
      p <- person[nz[code + 1L]]
    } else {
      if (length(unique(head_person[x[head_rows, j] != 0])) >= min_n) {
        return(FALSE)
      }
      p <- person[x[, j] != 0]
    }
    if (!length(p)) return(FALSE)
    sum(person_mark(p, n_people)) < min_n
  }, logical(1))
  if (any(sparse)) {
    refuse(sprintf("the column%s %s of the model matrix",
                   if (sum(sparse) > 1L) "s" else "",
                   format_names(colnames(x)[sparse])))
  }
  vars <- mf[-1L]
  cat_vars <- vapply(vars, function(v) {
    is.factor(v) || is.character(v) || is.logical(v) ||
      (is.numeric(v) && is.null(dim(v)) && length(unique(v)) <= 2L)
  }, logical(1))
  if (!any(cat_vars)) return(invisible(NULL))
  # a compressed matrix's rows are the combinations of the values of the
  # model's variables, all categorical: those are the cells below, with
  # the same screen as any_small_cell()'s (whose answer, TRUE, only sends
  # the check on to the count of people below)
  if (!is.null(code) && all(cat_vars) && all(count >= min_n * most)) {
    return(invisible(NULL))
  }
  # a quick screen: cells of the distinct values themselves (never coarser
  # than the levels of factor(), which may merge numbers that print
  # alone), each with its number of distinct people; when none has fewer
  # than min_n, the cells below have none either
  if (!any_small_cell(vars[cat_vars], person, n_people, min_n, most)) {
    return(invisible(NULL))
  }
  x <- gee_x_expand(x)
  cell <- interaction(lapply(vars[cat_vars], function(v) factor(v)),
                      drop = TRUE, sep = ", ")
  people <- tapply(person, cell, function(p) length(unique(p)))
  small <- names(people)[people < min_n]
  if (!length(small)) return(invisible(NULL))
  rank_without <- function(drop) {
    keep <- !cell %in% drop
    if (!any(keep)) return(0L)
    qr(x[keep, , drop = FALSE])$rank
  }
  full <- qr(x)$rank
  if (rank_without(small) == full) return(invisible(NULL))
  label <- paste(names(vars)[cat_vars], collapse = " x ")
  for (s in utils::head(small, 50L)) {
    if (rank_without(s) < full) {
      refuse(sprintf("the cell %s = %s (%d %s)", label, s, people[[s]],
                     plural(people[[s]], "person", "people")))
    }
  }
  refuse(sprintf("the cells of %s with fewer than %s people", label,
                 format(min_n)))
}
