# What an estimates table keeps so that a sensitivity analysis can go back
# to the people behind each row (the estimates layer builds it; the
# sensitivity layer reads it): for each row, who is in it, their base
# weights and, for proportions, the dropouts' predicted probabilities from
# the weights' own sequential outcome models.

# What tipping_point() needs of the people behind each row of a table of
# wave means or changes, made from the weights when the table is made so
# that the table need not carry the panel: the baseline people and their
# base weights, and per row the group's baseline people, those with a
# value, and for proportions the MAR probabilities of the group's
# dropouts. Conditions that would stop a tipping analysis are kept and
# raised only if one is asked for. Suppressed rows get nothing.
tipping_material <- function(w, tab, kind, by, influence) {
  if (is.null(influence) || !kind %in% c("wave_means", "panel_change")) {
    return(NULL)
  }
  n_all <- nrow(w$weights)
  base <- w$baseline_rows
  d <- numeric(n_all)
  d[base] <- w$base_weights[base]
  # equal base weights are kept as one number
  if (length(unique(d)) == 1L) d <- d[1L]
  # naive variances leave out people who never answered; the share of
  # dropouts needs every baseline person (see tipping_components())
  out <- list(n_all = n_all, d = d, rows = vector("list", nrow(tab)),
              groups = list(), error = NULL)
  if (!is.null(w$panel$design)) out$design <- w$panel$design[
    c("strata", "psu", "popsize", "lonely_psu", "strata_labels")]
  rows <- panel_rows(w)
  group_rows <- group_values(w, by, rows)
  # compared with each row's group as text: converted once, not per row
  if (!is.null(by)) group_rows <- as.character(group_rows)
  group_base <- NULL
  if (!is.null(by)) {
    if (!by %in% names(w$panel$baseline)) {
      out$error <- structure(
        class = c("panelattrition_arg_error", "panelattrition_error",
                  "error", "condition"),
        list(message = sprintf(paste("Delta adjustment needs the groups of",
                                     "the people who dropped out, so `%s`",
                                     "must be a baseline covariate (named in",
                                     "panel_data(baseline = ))."), by),
             call = NULL, argument = "x")
      )
      return(out)
    }
    group_base <- as.character(w$panel$baseline[[by]])
  }
  waves <- w$panel$waves
  fits <- list()
  for (k in seq_len(nrow(tab))) {
    if (isTRUE(tab$suppressed[k]) || is.na(tab$estimate[k])) next
    out$rows[[k]] <- tryCatch(
      tipping_row_material(w, tab, k, kind, by, rows, group_rows, group_base,
                           base, waves, fits),
      panelattrition_error = function(e) list(error = e)
    )
    gname <- out$rows[[k]]$group
    if (!is.null(gname) && is.null(out$groups[[gname]])) {
      out$groups[[gname]] <- out$rows[[k]]$grp
    }
    if (!is.null(out$rows[[k]]$fit_key)) {
      fits[[out$rows[[k]]$fit_key]] <- out$rows[[k]]$fit
    }
    # who among the group's baseline people has a value, one bit each
    if (is.null(out$rows[[k]]$error)) {
      r <- out$rows[[k]]
      has <- person_mark(r$members, n_all)[r$grp]
      has <- c(has, logical((8L - length(has) %% 8L) %% 8L))
      out$rows[[k]] <- list(type = r$type, group = r$group,
                            answered = packBits(has), prob = r$prob,
                            sd = r$sd)
    }
  }
  out
}

tipping_row_material <- function(w, tab, k, kind, by, rows, group_rows,
                                 group_base, base, waves, fits) {
  n_all <- nrow(w$weights)
  v <- tab$outcome[k]
  y <- w$panel$data[[v]]
  lv <- if ("level" %in% names(tab)) tab$level[k] else NA
  t1 <- match(as.character(tab$wave[k]), waves)
  if (!is.na(lv)) y <- as.numeric(y == lv)
  g <- if (is.null(by)) NULL else as.character(tab[[by]][k])
  in_group <- if (is.null(g)) TRUE else as.character(group_rows) == g
  if (kind == "panel_change") {
    t0 <- match(tab$from[k], waves)
    y_mat <- matrix(NA_real_, n_all, length(waves))
    y_mat[cbind(rows$person, rows$wave)] <- as.numeric(y)
    has <- !is.na(y_mat[, t1] - y_mat[, t0])
    members <- rows$person[rows$wave == t1 & has[rows$person] & in_group]
  } else {
    members <- rows$person[rows$wave == t1 & !is.na(y) & in_group]
  }
  grp <- unname(if (is.null(g)) base else base[group_base[base] == g])
  if (!all(person_mark(grp, n_all)[members])) {
    pa_abort(
      sprintf(paste("The respondents behind row %d of `x` are not all in",
                    "its group's baseline sample: `%s` must be the same for",
                    "a person at every wave."), k, by %||% ""),
      class = "panelattrition_arg_error", argument = "x"
    )
  }
  type <- if (kind == "wave_means" &&
              (!is.na(lv) || is.logical(w$panel$data[[v]]) ||
               is_binary_numeric(w$panel$data[[v]]))) {
    "proportion"
  } else {
    "mean"
  }
  prob <- NULL
  key <- NULL
  fit <- NULL
  if (type == "proportion") {
    key <- paste(v, lv, t1, sep = "\r")
    fit <- fits[[key]]
    if (is.null(fit)) {
      at <- rows$wave == t1 & !is.na(y)
      yy <- rep(NA_real_, n_all)
      yy[rows$person[at]] <- as.numeric(y[at])
      what <- sprintf("`%s`%s at %s", v,
        if (is.na(lv)) "" else sprintf(" = \"%s\"", lv), waves[t1])
      fit <- if (isTRUE(w$monotone) && t1 > 1L) {
        sequential_probabilities(w, yy, t1, what)
      } else {
        mar_probabilities(w, yy, what)
      }
    }
    prob <- recentre_probabilities(unname(fit[grp]), grp %in% members,
                                   w$base_weights[grp], fit_y(y, rows, t1,
                                                             grp),
                                   tab$estimate[k])
  }
  # the benchmark of delta for means: the weighted SD of the outcome among
  # the row's respondents (changes use the table's sd_change)
  sd <- NA_real_
  if (type == "mean" && kind == "wave_means") {
    at <- which(rows$wave == t1 & !is.na(y) & in_group)
    sd <- weighted_sd(as.numeric(y[at]), w$weights[cbind(rows$person[at], t1)])
  }
  list(type = type, group = if (is.null(g)) "(all)" else paste0("=", g),
       grp = grp, members = members, prob = prob, fit_key = key, fit = fit,
       sd = sd)
}

# The material of the rows kept by a subset (positions in the stored
# order).
restrict_tipping <- function(mat, keep) {
  mat$rows <- mat$rows[keep]
  mat
}

# MAR probabilities of a binary outcome at a wave for every baseline
# person: a quasi-binomial regression on the weights' covariates among the
# wave's respondents with a value, weighted by the base weights.
mar_probabilities <- function(w, y, what) {
  base <- w$baseline_rows
  label <- sprintf("the outcome regression of %s", what)
  x <- stage_matrix(w$covariates, w$formula, base, label)
  fit_rows <- !is.na(y[base])
  fit <- stats::glm.fit(x[fit_rows, , drop = FALSE], y[base][fit_rows],
                        weights = w$base_weights[base][fit_rows],
                        family = stats::quasibinomial(),
                        control = stats::glm.control(epsilon = 1e-12,
                                                     maxit = 100))
  if (anyNA(fit$coefficients)) {
    pa_abort(
      sprintf(paste("The outcome regression of %s on %s is singular (a",
                    "category of a covariate has no respondents), so the",
                    "dropouts have no MAR prediction. Use a simpler `formula`",
                    "in attrition_weights()."),
              what, paste(deparse(w$formula), collapse = " ")),
      class = "panelattrition_model_error"
    )
  }
  out <- rep(NA_real_, length(y))
  out[base] <- stats::plogis(drop(x %*% fit$coefficients))
  out
}

# MAR probabilities of a binary outcome at wave t1 for every baseline
# person, from the sequential outcome models of the weights' own stages
# (Bang and Robins, 2005): at stage t1 the outcome is regressed on the
# stage's design (covariates and history) among its respondents with a
# value, then at each earlier stage j the previous stage's prediction is
# regressed on stage j's design among stage j's respondents; a person who
# dropped out at stage j (or answered t1 without a value) gets the
# prediction of the last stage at which they were at risk, which conditions
# on their last observed values. Quasi-binomial regressions weighted by the
# base weights; aliased columns are left out. A stage at which everyone
# answered passes the predictions through.
sequential_probabilities <- function(w, y, t1, what) {
  n_all <- length(y)
  by_wave <- list()
  for (st in c(w$stages, w$complete_stages)) by_wave[[st$wave_index]] <- st
  out <- rep(NA_real_, n_all)
  target <- y
  first <- if (length(by_wave) >= 1L && !is.null(by_wave[[1L]])) 1L else 2L
  for (j in seq(t1, first)) {
    st <- if (j <= length(by_wave)) by_wave[[j]]
    if (is.null(st)) return(mar_probabilities(w, y, what))
    risk <- st$risk
    if (isTRUE(st$complete) || is.null(st$x)) {
      pred <- target[risk]
    } else {
      resp <- unname(st$responded)
      use <- resp & !is.na(target[risk])
      if (!any(use)) return(mar_probabilities(w, y, what))
      x <- st$x
      fit <- stats::glm.fit(x[use, , drop = FALSE], target[risk][use],
                            weights = w$base_weights[risk][use],
                            family = stats::quasibinomial(),
                            control = stats::glm.control(epsilon = 1e-12,
                                                         maxit = 100))
      beta <- fit$coefficients
      beta[is.na(beta)] <- 0
      pred <- stats::plogis(drop(x %*% beta))
      # those at risk here without a value at t1 get this stage's
      # prediction unless a later stage gave them one
      gone <- if (j == t1) is.na(y[risk]) else !resp
      out[risk[gone]] <- pred[gone]
    }
    if (j == t1 && (isTRUE(st$complete) || is.null(st$x))) {
      # nobody dropped out at t1; item nonresponse has no prediction yet
      miss <- is.na(y[risk])
      if (any(miss)) return(mar_probabilities(w, y, what))
    }
    nt <- rep(NA_real_, n_all)
    nt[risk] <- pred
    target <- nt
  }
  out
}

# The outcome at wave t1 of the people `grp` (NA without a value).
fit_y <- function(y, rows, t1, grp) {
  at <- rows$wave == t1 & !is.na(y)
  v <- rep(NA_real_, max(c(grp, rows$person)))
  v[rows$person[at]] <- as.numeric(y[at])
  v[grp]
}

# The dropouts' MAR probabilities m_i, moved by one constant on the logit
# scale so that the base-weighted mix of the observed values and the
# dropouts' probabilities equals the attrition-weighted estimate mu:
# sum_obs d y + sum_drop d plogis(qlogis(m) + c) = mu sum d. Then the
# shifted estimate mu + sum_drop d (plogis(qlogis(m) + delta) - m) / N_d is
# that mix with the dropouts shifted, inside the Manski bounds for every
# delta. Kept as they are when mu implies no dropouts' rate in (0, 1).
recentre_probabilities <- function(m, has, d, y, mu) {
  drop_ <- !has & !is.na(m)
  if (!any(drop_) || is.na(mu)) return(m)
  m <- pmin(pmax(m, 1e-12), 1 - 1e-12)
  target <- (mu * sum(d) - sum(d[has] * y[has])) / sum(d[!has])
  if (!is.finite(target) || target <= 0 || target >= 1) return(m)
  lm <- stats::qlogis(m[drop_])
  dd <- d[drop_] / sum(d[drop_])
  f <- function(cc) sum(dd * stats::plogis(lm + cc)) - target
  lo <- -1
  hi <- 1
  while (f(lo) > 0) lo <- lo * 2
  while (f(hi) < 0) hi <- hi * 2
  cc <- stats::uniroot(f, c(lo, hi), tol = 1e-14, maxiter = 1000)$root
  m[drop_] <- stats::plogis(lm + cc)
  m
}


# all(y[!is.na(y)] %in% c(0, 1)) without copying y (called on whole
# columns of the panel's data)
is_binary_numeric <- function(y) {
  is.numeric(y) && !all(is.na(y)) && !any(y != 0 & y != 1, na.rm = TRUE)
}


