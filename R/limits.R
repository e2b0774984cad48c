# Memory guards: before an allocation that grows with the product of the
# panel's size and the number of cells, replicates or levels, estimate it
# and stop with a classed error saying how much and why, instead of
# failing deep inside R (or not at all for minutes). The limit is the
# option `panelattrition.max_bytes` (default 8 GiB).

check_allocation <- function(bytes, what, fix, argument = NULL) {
  limit <- getOption("panelattrition.max_bytes", 8 * 2^30)
  if (!is.numeric(limit) || length(limit) != 1L || is.na(limit) ||
      limit <= 0) {
    pa_abort(sprintf("The option `panelattrition.max_bytes` must be a positive number of bytes, not %s.",
                     describe_value(limit)),
             class = "panelattrition_option_error",
             option = "panelattrition.max_bytes")
  }
  if (bytes > limit) {
    pa_abort(
      sprintf(paste("%s would need about %s of memory, more than the limit",
                    "of %s (option `panelattrition.max_bytes`). %s"),
              what, format_bytes(bytes), format_bytes(limit), fix),
      class = "panelattrition_size_error", argument = argument,
      bytes = bytes, limit = limit
    )
  }
  invisible(bytes)
}

format_bytes <- function(b) {
  units <- c("bytes", "KB", "MB", "GB", "TB", "PB")
  k <- max(0, min(length(units) - 1, floor(log(max(b, 1), 1024))))
  sprintf("%.1f %s", b / 1024^k, units[k + 1])
}

# Response models and calibrations: before any design matrix is built,
# each factor (or character) covariate must have fewer levels than half
# the people at risk at the first stage (a model with more parameters
# than respondents has no estimate: a 10,000-level factor otherwise runs
# for minutes and ends in separation), and the design matrix (people x
# columns, 8 bytes each) must fit in the memory limit. `n` is the number
# of people at risk at the first stage (the panel's people).
check_covariate_size <- function(data, formulas, n, arg = "formula") {
  formulas <- Filter(function(f) inherits(f, "formula"), formulas)
  if (!length(formulas)) return(invisible())
  vars <- intersect(unique(unlist(lapply(formulas, all.vars))), names(data))
  levels_of <- vapply(vars, function(v) {
    x <- data[[v]]
    if (is.factor(x)) {
      sum(tabulate(x, nlevels(x)) > 0L)
    } else if (is.character(x)) {
      length(unique(x[!is.na(x)]))
    } else {
      NA_real_
    }
  }, numeric(1))
  names(levels_of) <- vars
  limit <- max(2, floor(n / 2))
  big <- levels_of[!is.na(levels_of) & levels_of > limit]
  if (length(big)) {
    pa_abort(
      c(sprintf("Covariate `%s` has %s levels, more than half the %s %s at risk of dropping out at the first stage.",
                names(big)[1L], format(big[[1L]], big.mark = ","),
                format(n, big.mark = ","), plural(n, "person", "people")),
        x = "A response model cannot be estimated with more parameters than respondents.",
        i = sprintf("Collapse `%s` into fewer categories (merge rare levels), or leave it out of `%s`.",
                    names(big)[1L], arg)),
      class = c("panelattrition_levels_error", "panelattrition_arg_error"),
      argument = arg, variables = names(big), levels = unname(big)
    )
  }
  # columns of the widest design matrix: per term, the product of its
  # variables' columns (levels - 1 for a factor, 1 otherwise)
  # (an approximation: functions such as poly() count as one column; a
  # formula terms() cannot read is left to the model's own errors)
  width <- function(f) {
    tt <- tryCatch(stats::terms(f), error = function(e) NULL)
    if (is.null(tt)) return(1)
    labels <- attr(tt, "term.labels")
    1 + sum(vapply(labels, function(lab) {
      v <- intersect(tryCatch(all.vars(str2lang(lab)),
                              error = function(e) character()), vars)
      k <- levels_of[v]
      prod(ifelse(is.na(k), 1, pmax(k - 1, 1)))
    }, numeric(1)))
  }
  cols <- max(vapply(formulas, width, numeric(1)))
  check_allocation(
    8 * as.numeric(n) * cols,
    sprintf("A design matrix of %d people by %s columns", as.integer(n),
            format(cols, big.mark = ",", scientific = FALSE)),
    "Use fewer or coarser covariates (collapse factor levels).",
    argument = arg
  )
}

# Tables of estimates by group: before the cells are built, the number of
# groups must leave on average at least `min_n` people in each (otherwise
# most cells would be suppressed anyway: at most the people divided by
# max(min_n, 1) groups), and the cells' influence matrices (people x cells,
# a few per wave) must fit in the memory limit. `y` are the outcome's
# values on `rows`, `group` the groups of those rows (NA without `by`).
check_cells_size <- function(w, rows, y, group, by, min_n,
                             arg = "outcomes") {
  n <- nrow(w$weights)
  n_groups <- if (is.null(by)) {
    1L
  } else if (is.factor(group)) {
    # the levels in use and whether any value is missing, from one count
    # of the codes
    counts <- if (!anyNA(levels(group))) code_counts(group, nlevels(group))
    if (!is.null(counts) && sum(counts) == length(group)) {
      sum(counts > 0L)
    } else if (!has_na(group)) {
      length(sort_unique(group))
    } else {
      length(unique(group))
    }
  } else {
    length(unique(group))
  }
  max_groups <- floor(n / max(min_n, 1))
  if (!is.null(by) && n_groups > max_groups) {
    pa_abort(
      c(sprintf("`by` (`%s`) has %s groups, more than the %s the panel's %s people allow.",
                by, format(n_groups, big.mark = ","),
                format(max_groups, big.mark = ","), format(n, big.mark = ",")),
        x = sprintf("On average a group would have fewer than `min_n` (%s) people, so most cells would be suppressed.",
                    format(min_n)),
        i = "Group by a coarser variable (merge small groups): at most the number of people divided by `min_n` groups."),
      class = c("panelattrition_groups_error", "panelattrition_arg_error"),
      argument = "by", groups = n_groups, max_groups = max_groups
    )
  }
  n_levels <- if (is.factor(y)) {
    nlevels(y)
  } else if (is.character(y)) {
    length(unique(y[!is.na(y)]))
  } else 1L
  # the answers with a value per wave (their number and the most in one)
  wv <- rows$wave
  per_wave <- if (is.integer(wv) && length(wv) && !anyNA(wv) &&
                  min(wv) >= 1L) {
    wave_value_counts(y, wv, max(wv))
  } else {
    as.vector(table(wv[!is.na(y)]))
  }
  n_waves <- sum(per_wave > 0L)
  cells <- as.numeric(n_waves) * n_groups * n_levels
  # people x cells: estimating functions, influence values and one weight
  # derivative per wave; each cell also lists its wave's answers
  bytes <- 8 * as.numeric(n) * cells * (2 + n_waves) +
    12 * cells * max(per_wave, 0L)
  check_allocation(
    bytes,
    sprintf("Estimating %s cells (%d %s x %s %s x %d %s) for %s people",
            format(cells, big.mark = ",", scientific = FALSE),
            n_waves, plural(n_waves, "wave"),
            format(n_groups, big.mark = ","), plural(n_groups, "group"),
            n_levels, plural(n_levels, "level"), format(n, big.mark = ",")),
    "Use fewer groups (`by`) or levels, or merge small categories.",
    argument = if (!is.null(by) && n_groups > n_levels) "by" else arg
  )
}
