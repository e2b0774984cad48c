# The data the weights are built on: baseline covariates with their
# missing values handled, the history of earlier answers, who answered
# when, and the response patterns a weighting scheme can take.

# The person-level covariates the formulas use, with missing values either
# refused (listing variables and counts) or replaced with indicators.
prepare_covariates <- function(panel, formula, numerator, base, na_action) {
  vars <- unique(c(all.vars(formula),
                   if (!is.null(numerator)) all.vars(numerator)))
  bl <- panel$baseline
  have <- names(bl)
  if (isTRUE(panel$frame_given)) have <- union(have, names(panel$frame))
  absent <- setdiff(c(vars, base), have)
  if (length(absent)) {
    pa_abort(
      sprintf(paste("%s not among the panel's baseline covariates: %s.",
                    "Name them in panel_data(baseline = ) (or put them in",
                    "`frame`)."),
              upper_first(plural(length(absent), "variable")),
              format_names(absent)),
      class = "panelattrition_arg_error", argument = "formula",
      variables = absent
    )
  }
  get_col <- function(v) {
    if (v %in% names(bl)) return(bl[[v]])
    panel$frame[[v]][match(panel$ids, panel$frame[[panel$id]])]
  }
  for (v in vars) {
    check_plain_column(get_col(v), v, "formula",
                       "the panel's baseline covariates")
  }
  data <- list2DF(stats::setNames(lapply(vars, get_col), vars))
  if (length(vars) == 0L) data <- data.frame(row.names = seq_len(nrow(bl)))

  d <- rep(1, nrow(bl))
  design_w <- panel$design$weights
  if (!is.null(design_w)) {
    if (!is.null(base)) {
      pa_abort(
        paste("The panel's `design` already gives the base weights (its",
              "sampling weights); leave `base` NULL, or build the panel",
              "with design columns (`strata`, `cluster`, `fpc`) and name",
              "the weight column in `base`."),
        class = "panelattrition_arg_error", argument = "base"
      )
    }
    d <- design_w
  }
  if (!is.null(base)) {
    check_string(base, "base")
    d <- get_col(base)
    check_plain_column(d, base, "base", "the panel's baseline covariates")
    if (!is.numeric(d) || anyNA(d) || any(!is.finite(d)) || any(d <= 0)) {
      pa_abort(
        sprintf("Base weights `%s` must be positive finite numbers for everyone; %d are not.",
                base, sum(!is.numeric(d) | is.na(d) | !is.finite(d) | d <= 0)),
        class = "panelattrition_arg_error", argument = "base"
      )
    }
  }
  data <- handle_missing(data, na_action, "baseline covariates")
  list(data = data, base = as.numeric(d),
       indicators = attr(data, "indicators"))
}

# Missing-indicator columns join the formulas that use their variable.
with_indicators <- function(formula, indicators) {
  use <- indicators[names(indicators) %in% all.vars(formula)]
  if (length(use) == 0L) return(formula)
  add_terms(formula, unname(use))
}

handle_missing <- function(data, na_action, what) {
  # the infinite and the missing values of each column; a finite sum of a
  # plain double column rules out both, and a factor whose levels count
  # all its values has no missing one (anyNA() would make is.na(x) for it)
  counts <- vapply(data, function(x) {
    if (is.double(x) && !is.object(x) && is.finite(sum(x)) ||
        is.factor(x) && sum(tabulate(x, nlevels(x))) == length(x)) {
      return(c(0, 0))
    }
    c(if (!is.numeric(x) || is.integer(x) && !is.object(x)) {
        0
      } else {
        sum(is.infinite(x))
      },
      if (anyNA(x)) sum(is.na(x)) else 0)
  }, numeric(2))
  n_inf <- counts[1L, ]
  n_na <- counts[2L, ]
  if (any(n_inf > 0)) {
    bad <- n_inf[n_inf > 0]
    pa_abort(
      sprintf("Infinite values in the %s: %s. Recode them (or set them to NA).",
              what, paste0("`", names(bad), "` (", bad, ")", collapse = ", ")),
      class = "panelattrition_missing_error", variables = names(bad),
      counts = unname(bad)
    )
  }
  if (!any(n_na > 0)) return(data)
  if (na_action == "fail") {
    bad <- n_na[n_na > 0]
    pa_abort(
      sprintf(paste("Missing values in the %s: %s.",
                    "Impute them, drop the variables, or use",
                    "na_action = \"indicator\"."),
              what, paste0("`", names(bad), "` (", bad, ")", collapse = ", ")),
      class = "panelattrition_missing_error", variables = names(bad),
      counts = unname(bad)
    )
  }
  indicators <- character()
  for (v in names(n_na)[n_na > 0]) {
    x <- data[[v]]
    miss <- is.na(x)
    if (is.numeric(x) || is.logical(x)) {
      x <- as.numeric(x)
      x[miss] <- mean(x[!miss])
      data[[v]] <- x
      indicators[v] <- paste0(v, "_missing")
      data[[indicators[v]]] <- as.numeric(miss)
    } else {
      x <- as.character(x)
      x[miss] <- "(missing)"
      data[[v]] <- factor(x)
    }
  }
  attr(data, "indicators") <- indicators
  data
}

# The history entering the model for answering at wave index t: the
# values of the `history` variables at waves t - 1, ..., t - k (as many of
# them as exist), lag 1 named `<var>_prev`, lag j `<var>_lag<j>`. Under
# monotone dropout everyone at risk at t answered all of those waves.
stage_history <- function(panel, history, lags, t, na_action) {
  k <- min(lags, t - 1)
  parts <- lapply(seq_len(k), function(j) {
    history_values(panel, history, panel$waves[t - j], na_action,
                   suffix = if (j == 1L) "_prev" else paste0("_lag", j))
  })
  if (length(parts) == 1L) return(parts[[1L]])
  list(values = do.call(cbind, lapply(parts, `[[`, "values")),
       terms = unlist(lapply(parts, `[[`, "terms"), use.names = FALSE))
}

# Answers at one earlier wave to be used as history, one row per person.
history_values <- function(panel, history, wave_label, na_action,
                           suffix = "_prev") {
  dat <- panel$data
  wave <- dat[[panel$wave]]
  at <- if (is.factor(wave)) {
    which(unclass(wave) == match(wave_label, levels(wave)))
  } else {
    which(wave == wave_label)
  }
  # each person's row of `dat` at that wave (the first, were there two)
  person <- person_index(panel)[at]
  if (!isFALSE(is.unsorted(person, strictly = TRUE))) {
    # not one row per person in order of person, as panel_data() makes
    # them: pair the people with their first rows
    known <- !is.na(person)
    rows <- rep(NA_integer_, nrow(panel$response))
    rows[rev(person[known])] <- rev(at[known])
    person <- which(!is.na(rows))
    at <- rows[person]
  }
  values <- lapply(history, function(v) dat[[v]][at])
  names(values) <- paste0(history, suffix)
  # only those at risk (who answered at the previous wave) matter
  checked <- handle_missing(list2DF(values), na_action,
                            sprintf("history at wave %s", wave_label))
  # then one row per person, NA for those who did not answer
  back <- rep(NA_integer_, nrow(panel$response))
  back[person] <- seq_along(person)
  full <- lapply(checked, `[`, back)
  list(values = list2DF(full), terms = names(full))
}

add_terms <- function(formula, terms) {
  rhs <- paste(deparse(formula[[2]], width.cutoff = 500L), collapse = " ")
  stats::as.formula(paste("~", rhs, "+", paste(terms, collapse = " + ")),
                    env = environment(formula))
}

# which(x), named like x, without making which() read every name: row names
# made from integer ids are strings converted only when read, and which()
# would convert them all at every call. `ids`: the names, when x comes
# without them (a column of the response matrix taken without its row
# names).
which_rows <- function(x, ids = names(x)) {
  out <- which(unname(x))
  names(out) <- ids[out]
  out
}

# The columns of the response matrix, without its row names.
response_columns <- function(resp) {
  r <- unname(resp)
  lapply(seq_len(ncol(r)), function(t) r[, t])
}

# Patterns that the chosen scheme cannot weight are errors that say how
# many people and what to do.
check_response_patterns <- function(resp, waves, monotone, with_frame,
                                    answered = response_columns(resp)) {
  if (ncol(resp) < 2L) return(invisible())
  if (!with_frame && !isTRUE(all(answered[[1L]]))) {
    late <- !resp[, 1] & rowSums(resp) > 0
    if (any(late)) {
      pa_abort(
        sprintf(paste("%d %s first answered after the first wave (%s), so",
                      "they are not in the baseline sample and cannot be",
                      "weighted. Give panel_data() a `frame` of everyone",
                      "who started, or remove them."),
                sum(late), plural(sum(late), "person", "people"), waves[1]),
        class = "panelattrition_monotone_error", n = sum(late)
      )
    }
  }
  # whether anyone answered after missing the wave before, one wave at a
  # time, before the full count below
  returned <- function() {
    for (t in seq_len(ncol(resp))[-1L]) {
      if (!isFALSE(any(answered[[t]] & !answered[[t - 1L]]))) return(TRUE)
    }
    FALSE
  }
  if (monotone && returned()) {
    back <- resp[, -1, drop = FALSE] & !resp[, -ncol(resp), drop = FALSE]
    who <- rowSums(back) > 0
    if (any(who)) {
      first_back <- apply(back[who, , drop = FALSE], 1, which.max) + 1L
      tab <- table(factor(waves[first_back], levels = waves[-1]))
      tab <- tab[tab > 0]
      pa_abort(
        sprintf(paste("Dropout is not monotone: %d %s answered a wave after",
                      "missing the one before (%s). Use monotone = FALSE for",
                      "one response model per wave, or drop those answers."),
                sum(who), plural(sum(who), "person", "people"),
                paste0(names(tab), ": ", tab, collapse = ", ")),
        class = "panelattrition_monotone_error", n = sum(who),
        ids = rownames(resp)[who]
      )
    }
  }
  invisible()
}

# The panel's answers as (person, wave) indices, in the order of panel$data.
panel_rows <- function(w) {
  p <- w$panel
  person <- p$person
  if (is.null(person)) {
    person <- match(to_character(p$data[[p$id]]), rownames(p$response))
  }
  data.frame(
    person = person,
    wave = as.integer(p$data[[p$wave]]),
    row = seq_len(nrow(p$data))
  )
}

