# Design matrices of the response models and calibrations: model.matrix()
# on the people at risk, with a fast path in C for main effects.

# The model frame and matrix of a stage, built on the people at risk only,
# as glm(formula, data = <those at risk>) would build them (unused factor
# levels dropped; a factor left with one level is an error), without row
# names: row k is the person risk[k].
stage_matrix <- function(data, formula, rows, label) {
  x <- plain_stage_matrix(data, formula, rows)
  if (!is.null(x)) return(x)
  sub <- data[rows, , drop = FALSE]
  mf <- tryCatch(
    stats::model.frame(formula, data = sub, na.action = stats::na.fail,
                       drop.unused.levels = TRUE),
    error = function(e) {
      pa_abort(sprintf("Cannot build the model for %s: %s", label,
                       conditionMessage(e)),
               class = "panelattrition_weights_error", stage = label)
    }
  )
  single <- vapply(mf, function(x) {
    (is.factor(x) || is.character(x)) && length(unique(x)) < 2L
  }, logical(1))
  if (any(single)) {
    pa_abort(
      sprintf(paste("Covariate %s %s a single level among the %d people at",
                    "risk for %s, so it cannot enter the model. Drop it or",
                    "merge levels."),
              format_names(names(mf)[single]),
              if (sum(single) == 1L) "has" else "have", length(rows), label),
      class = "panelattrition_weights_error", stage = label,
      variables = names(mf)[single]
    )
  }
  x <- stats::model.matrix(attr(mf, "terms"), mf)
  if (!is.double(x)) storage.mode(x) <- "double"
  without_row_names(x)
}

# The common case of stage_matrix() without its copies and checks: every
# variable of the formula a plain column of `data` (a number, or an
# unordered factor with the default contrasts), entering as a main effect
# or in interactions (no poly(), scale(), I()...), with no missing values
# among the rows, and every factor with all its levels, at least two,
# among them. Then there is nothing to drop or refuse, and the model matrix
# is built directly on those columns' rows, with the row names a data frame
# subset would give. NULL when the case is not this one.
plain_stage_matrix <- function(data, formula, rows) {
  n <- length(rows)
  if (!is.integer(rows) || n == 0L || .row_names_info(data) >= 0L ||
      !isFALSE(is.unsorted(rows, strictly = TRUE)) ||
      rows[1L] < 1L || rows[n] > nrow(data)) {
    return(NULL)
  }
  tt <- tryCatch(stats::terms(formula), error = function(e) NULL)
  if (is.null(tt) || attr(tt, "response") != 0L ||
      !is.null(attr(tt, "offset"))) {
    return(NULL)
  }
  vars <- as.list(attr(tt, "variables"))[-1L]
  if (length(vars) == 0L || !all(vapply(vars, is.name, logical(1)))) {
    return(NULL)
  }
  vars <- vapply(vars, as.character, character(1))
  if (anyDuplicated(names(data)) || !all(vars %in% names(data))) {
    return(NULL)
  }
  cols <- list()
  for (v in vars) {
    x <- data[[v]]
    plain <- is.null(dim(x)) &&
      ((is.numeric(x) && !is.object(x)) ||
         (is.factor(x) && !is.ordered(x) && is.null(attr(x, "contrasts"))))
    if (!plain || is.factor(x) && nlevels(x) < 2L) return(NULL)
    cols[[v]] <- x
  }
  # main effects: the C code reads the rows of the whole columns, and
  # checks them; a variable that is no term (~ x + g - g) is checked here
  if (main_effects_only(tt, vars)) {
    for (v in setdiff(vars, attr(tt, "term.labels"))) {
      if (is.null(rows_complete(cols[[v]], rows))) return(NULL)
    }
    return(main_effects_matrix(tt, cols, rows))
  }
  for (v in vars) {
    x <- rows_complete(cols[[v]], rows)
    if (is.null(x)) return(NULL)
    cols[[v]] <- x
  }
  sub <- list2DF(cols)
  attr(sub, "row.names") <- rows
  tryCatch({
    mf <- stats::model.frame(formula, data = sub, na.action = stats::na.pass)
    x <- stats::model.matrix(attr(mf, "terms"), mf)
    if (is.double(x)) without_row_names(x)
  }, error = function(e) NULL)
}

# x[rows], or NULL if a value among them is missing or a level of a factor
# has no row.
rows_complete <- function(x, rows) {
  x <- x[rows]
  if (anyNA(x)) return(NULL)
  if (is.factor(x) && !all(tabulate(x, nlevels(x)) > 0L)) return(NULL)
  x
}

# Row names of a stage's matrix would only repeat the rows at risk, and
# making them (one string per person) costs as much as the matrix itself.
without_row_names <- function(x) {
  if (!is.null(rownames(x))) rownames(x) <- NULL
  x
}

# model.matrix() for an intercept and main effects of plain numeric and
# factor columns under treatment contrasts, filled in C on the rows `rows`
# of the columns in `cols` (NULL: all of them): the intercept, each numeric
# column, and for a factor a 1 in the column of each row's level (none for
# the first). Same columns, names, `assign` and `contrasts` as
# model.matrix() on those rows, without row names. NULL when the formula
# is not of that kind, or when among the rows a value is missing or a
# level of a factor absent (model.matrix() would keep or drop them).
main_effects_matrix <- function(tt, cols, rows = NULL) {
  if (!main_effects_only(tt, names(cols))) return(NULL)
  labels <- attr(tt, "term.labels")
  cols <- cols[labels]
  is_factor <- vapply(cols, is.factor, logical(1), USE.NAMES = FALSE)
  k <- vapply(cols, nlevels, integer(1), USE.NAMES = FALSE)
  if (any(is_factor & k < 2L)) return(NULL)
  widths <- ifelse(is_factor, k - 1L, 1L)
  first <- as.integer(1L + cumsum(c(1L, widths))[seq_along(labels)])
  # a factor's codes are its integer vector: no unclass() copy
  x <- .Call(C_main_effects, unname(cols), rows, is_factor, first,
             as.integer(1L + sum(widths)))
  if (is.null(x)) return(NULL)
  names_x <- c("(Intercept)", unlist(lapply(seq_along(labels), function(j) {
    if (is_factor[j]) paste0(labels[j], levels(cols[[j]])[-1L]) else labels[j]
  }), use.names = FALSE))
  dimnames(x) <- list(NULL, names_x)
  attr(x, "assign") <- rep(c(0L, seq_along(labels)), c(1L, widths))
  if (any(is_factor)) {
    attr(x, "contrasts") <- stats::setNames(
      as.list(rep("contr.treatment", sum(is_factor))), labels[is_factor])
  }
  x
}

# Whether the terms are an intercept and main effects of the variables
# `vars` under treatment contrasts, as main_effects_matrix() builds them.
main_effects_only <- function(tt, vars) {
  labels <- attr(tt, "term.labels")
  attr(tt, "intercept") == 1L && length(labels) > 0L &&
    all(attr(tt, "order") == 1L) && all(labels %in% vars) &&
    identical(unname(getOption("contrasts")[1L]), "contr.treatment")
}
