# Transitions of a categorical status (employment) between two waves.

#' Weighted transition matrix between two waves
#'
#' For the people who answered (and gave a status) at both waves, the
#' attrition-weighted probability of each status at `to` given the status at
#' `from`, \eqn{P(b \mid a) = \sum w_i I(a_i, b_i) / \sum w_i I(a_i)}; and,
#' per group, the share whose status changed. Each is a Hájek proportion, so
#' its variance comes from the same stacked sandwich as [wave_means()] (the
#' uncertainty of the weights counted), with logit or Korn-Graubard
#' intervals.
#'
#' The weight \eqn{w_i} of a person is their weight at `to` under monotone
#' dropout. Under intermittent response (`attrition_weights(monotone =
#' FALSE)`) it is the inverse of a response model for answering both `from`
#' and `to`, fitted like the weights' own models and counted in every
#' variance, as described in the section "Weights of a pair of waves" of
#' [panel_change()]; this assumes that answering both waves depends on the
#' baseline covariates only.
#'
#' @inheritParams wave_means
#' @param status Name of a categorical (factor, character or logical)
#'   column of the panel's data.
#' @param from,to The two waves; `from` defaults to the first wave and
#'   `to` to the last (as in [panel_change()]).
#' @return A `pa_transitions` table (a `pa_estimates` data frame) with one
#'   row per group, status at `from` (`from_status`) and status at `to`
#'   (`to_status`): `estimate` is \eqn{P(to\_status \mid from\_status)},
#'   with `std_error`, `conf_low`, `conf_high`, `n` (people in the
#'   `from_status` row of the group), `n_eff`, `suppressed`. Attribute
#'   `changed` is a `pa_estimates` table of the share whose status changed,
#'   per group; compare groups on it with [compare_groups()].
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
#' tr <- transitions(w, "employment", from = "T1", to = "T2")
#' tr
#' attr(tr, "changed")
transitions <- function(w, status, from = NULL, to = NULL, by = NULL,
                        se = c("sandwich", "bootstrap", "naive"),
                        conf_level = 0.95, ci = c("logit", "beta"),
                        min_n = getOption("panelattrition.min_n", 5),
                        control = NULL) {
  check_required("w", "status")
  check_quoted(status, by)
  check_weights_object(w)
  check_string(status, "status")
  se <- match_choice(se, c("sandwich", "bootstrap", "naive"), "se")
  ci <- match_choice(ci, c("logit", "beta"), "ci")
  control <- check_boot_use(se, control, "ipw")
  check_conf_level(conf_level)
  check_min_n(min_n)
  check_marginal_weights(w, by, "transitions")
  waves <- w$panel$waves
  from <- from %||% waves[1]
  to <- to %||% waves[length(waves)]
  t0 <- match(from, waves)
  t1 <- wave_pair(from, to, waves)
  rows <- panel_rows(w)
  y <- outcome_values(w, status, rows, "status")
  if (is.numeric(y) && !all(y[!is.na(y)] %in% c(0, 1))) {
    pa_abort(sprintf(paste("`%s` must be categorical (factor, character or",
                           "logical) to tabulate transitions."), status),
             class = "panelattrition_arg_error", argument = "status")
  }
  check_wave_answers(y, rows, waves, c(t0, t1), status, "status",
                     hint = "Choose waves where it was asked (`from`, `to`), or check the column.")
  lv <- if (is.factor(y)) levels(y) else sort(unique(as.character(y[!is.na(y)])))
  y <- as.character(y)
  n <- nrow(w$weights)
  y_mat <- matrix(NA_character_, n, length(waves))
  y_mat[cbind(rows$person, rows$wave)] <- y
  both <- rows$wave == t1 & !is.na(y_mat[rows$person, t0]) & !is.na(y)
  check_pair_answers(both, status, "status", from, to)
  sub <- rows[both, , drop = FALSE]
  a <- y_mat[sub$person, t0]
  b <- y_mat[sub$person, t1]
  group <- group_values(w, by, rows)[both]
  groups <- if (is.null(by)) NA else sort_unique(group)
  # checked before the cells are built: that alone takes minutes for a
  # status with hundreds of levels
  check_allocation(
    8 * n * length(groups) * length(lv)^2 * 3,
    sprintf("Transitions between %d statuses in %d %s for %d people",
            length(lv), length(groups), plural(length(groups), "group"), n),
    "Merge statuses (or groups) into fewer categories.",
    argument = "status"
  )

  cells <- list()
  changed <- list()
  for (g in as.list(groups)) {
    in_g <- if (is.null(by)) rep(TRUE, length(a)) else group == g
    g_label <- if (is.factor(group)) as.character(g) else g
    for (from_lv in lv) {
      m <- which(in_g & a == from_lv)
      for (to_lv in lv) {
        cells[[length(cells) + 1L]] <- data.frame(
          outcome = status, level = to_lv, from_status = from_lv,
          wave_index = t1, group = g_label, type = "proportion",
          members = I(list(m)), values = I(list(as.numeric(b[m] == to_lv))),
          stringsAsFactors = FALSE
        )
      }
    }
    m <- which(in_g)
    changed[[length(changed) + 1L]] <- data.frame(
      outcome = status, level = "changed", wave_index = t1, group = g_label,
      type = "proportion", members = I(list(m)),
      values = I(list(as.numeric(a[m] != b[m]))), stringsAsFactors = FALSE
    )
  }
  cells <- do.call(rbind, cells)
  changed <- do.call(rbind, changed)
  people <- answered_people(rows, nrow(w$weights))
  attrs <- list(kind = "transitions", se = se, estimator = "ipw", by = by,
                conf_level = conf_level, call = match.call())

  # weighted for answering both waves (see pair_weights())
  wp <- if (any(both)) pair_weights(w, t0, t1) else w
  est <- solve_cells(wp, cells, sub, se, people = people, control = control,
                     lean = TRUE)
  out <- build_estimates(cells, est, by, conf_level, ci, min_n, waves, attrs)
  vc <- attr(out, "vcov")
  # the per-person influence values are not kept (nothing reads them)
  attrs$replicates <- attr(out, "replicates")
  class(out) <- "data.frame"
  out$from_status <- factor(cells$from_status, levels = lv)
  out$to_status <- factor(cells$level, levels = lv)
  out$from <- from
  out$level <- NULL
  first <- c("outcome", "from", "wave", if (!is.null(by)) by,
             "from_status", "to_status")
  out <- new_estimates(out[c(first, setdiff(names(out), first))], vc, attrs)

  est_c <- solve_cells(wp, changed, sub, se, people = people,
                       control = control, lean = TRUE)
  attrs_c <- attrs
  attrs_c$kind <- "share changed"
  ch <- build_estimates(changed, est_c, by, conf_level, ci, min_n, waves,
                        attrs_c)
  ch$from <- from
  attr(ch, "influence") <- NULL
  attr(out, "changed") <- ch
  class(out) <- c("pa_transitions", class(out))
  out
}

#' @rdname transitions
#' @param x A `pa_transitions` table.
#' @param ... Passed to the `pa_estimates` print method.
#' @export
print.pa_transitions <- function(x, ...) {
  y <- x
  class(y) <- setdiff(class(x), "pa_transitions")
  attr(y, "changed") <- NULL
  print(y, ...)
  cat("\nShare whose status changed:\n")
  print(attr(x, "changed"), ...)
  invisible(x)
}
