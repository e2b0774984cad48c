# What an estimates table keeps so that tipping_point() can shift its
# rows (the estimates layer builds it; the sensitivity layer reads it).
# A table keeps no per-person values: for means and changes the shift of
# a row is linear in delta, so a few numbers per row and three small
# cross-product matrices made when the table is made give every shifted
# estimate and variance exactly (lean_tipping()); for proportions the
# shift is not linear, and the people behind the rows (their base
# weights, who answered, the dropouts' MAR probabilities from the
# weights' own sequential outcome models, the influence values) are
# recomputed from the weights on demand (people_table()).

# What tipping_point() needs of the people behind each row of a table of
# wave means or changes, made from the weights for a table that keeps its
# per-person values (people_table(); a lean table keeps lean_tipping()'s
# record instead): the baseline people and their base weights, and per
# row the group's baseline people, those with a value, and for
# proportions the MAR probabilities of the group's dropouts. Conditions
# that would stop a tipping analysis are kept and raised only if one is
# asked for. Suppressed rows get nothing.
tipping_material <- function(w, tab, kind, by, influence) {
  if (is.null(influence) || !kind %in% c("wave_means", "panel_change")) {
    return(NULL)
  }
  n_all <- nrow(w$weights)
  base <- w$baseline_rows
  d <- numeric(n_all)
  d[base] <- w$base_weights[base]
  # equal base weights are kept as one number
  if (if (anyNA(d)) length(unique(d)) == 1L else all(d == d[1L])) {
    d <- d[1L]
  }
  # naive variances leave out people who never answered; the share of
  # dropouts needs every baseline person (see tipping_components())
  out <- list(n_all = n_all, d = d, rows = vector("list", nrow(tab)),
              groups = list(), error = NULL)
  if (!is.null(w$panel$design)) out$design <- w$panel$design[
    c("strata", "psu", "popsize", "lonely_psu", "strata_labels")]
  rows <- panel_rows(w)
  # compared with each row's group as text (tipping_cache())
  group_rows <- group_values(w, by, rows)
  group_base <- NULL
  if (!is.null(by)) {
    if (!by %in% names(w$panel$baseline)) {
      out$error <- group_error(by)
      return(out)
    }
    group_base <- w$panel$baseline[[by]]
  }
  waves <- w$panel$waves
  fits <- list()
  cache <- tipping_cache(rows, group_rows, group_base, base, length(waves))
  # the last row (k) whose respondents are marked, per person: the rows
  # reuse one vector rather than each marking every person anew
  stamp <- integer(n_all)
  for (k in seq_len(nrow(tab))) {
    if (isTRUE(tab$suppressed[k]) || is.na(tab$estimate[k])) next
    out$rows[[k]] <- tryCatch(
      tipping_row_material(w, tab, k, kind, by, rows, cache, base, waves,
                           fits),
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
      stamp[r$members] <- k
      has <- stamp[r$grp] == k
      has <- c(has, logical((8L - length(has) %% 8L) %% 8L))
      out$rows[[k]] <- list(type = r$type, group = r$group,
                            answered = packBits(has), prob = r$prob,
                            sd = r$sd)
    }
  }
  out
}

tipping_row_material <- function(w, tab, k, kind, by, rows, cache, base,
                                 waves, fits) {
  n_all <- nrow(w$weights)
  v <- tab$outcome[k]
  y0 <- w$panel$data[[v]]
  y <- y0
  lv <- if ("level" %in% names(tab)) tab$level[k] else NA
  t1 <- match(as.character(tab$wave[k]), waves)
  if (!is.na(lv)) y <- as.numeric(y == lv)
  g <- if (is.null(by)) NULL else as.character(tab[[by]][k])
  # the answers of wave t1 in the row's group (in row order), and of
  # those the ones with a value of the outcome (a level's indicator is
  # missing where the outcome is)
  cell <- tipping_cell(cache, t1, g)
  if (kind == "panel_change") {
    t0 <- match(tab$from[k], waves)
    y_mat <- if (is.na(lv)) {
      tipping_outcome(cache, v, y0, n_all, length(waves), rows)$y_mat
    } else {
      m <- matrix(NA_real_, n_all, length(waves))
      m[cbind(rows$person, rows$wave)] <- as.numeric(y)
      m
    }
    has <- !is.na(y_mat[, t1] - y_mat[, t0])
    at <- cell[has[rows$person[cell]]]
  } else {
    at <- cell[!is.na(y[cell])]
  }
  members <- rows$person[at]
  grp <- tipping_group(cache, g, base)
  if (!all(tipping_in_group(cache, g, grp, n_all)[members])) {
    stop(outside_group_error(k, by))
  }
  type <- if (kind == "wave_means" &&
              (!is.na(lv) || is.logical(y0) ||
               tipping_outcome(cache, v, y0, n_all, length(waves),
                               NULL)$binary)) {
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
    # the weights of wave t1 by their position in the matrix (no index
    # matrix)
    sd <- weighted_sd(as.numeric(y[at]),
                      w$weights[(t1 - 1) * as.double(n_all) + rows$person[at]])
  }
  list(type = type, group = if (is.null(g)) "(all)" else paste0("=", g),
       grp = grp, members = members, prob = prob, fit_key = key, fit = fit,
       sd = sd)
}

# What the rows of one table share, worked out once rather than per row:
# the answers split by wave x group (one split of all the answers), each
# group's baseline people, and per outcome its answers by person and wave
# and whether it is binary. An environment, filled as rows ask.
tipping_cache <- function(rows, group_rows, group_base, base, n_wave) {
  cache <- new.env(parent = emptyenv())
  groups <- character()
  if (!is.null(group_base)) {
    # the groups as text (factors by their levels' codes, not by
    # converting every value)
    at_rows <- text_codes(group_rows)
    at_base <- text_codes(group_base, base)
    groups <- unique(c(at_rows$text, at_base$text))
  }
  n_g <- max(1L, length(groups))
  gi <- if (length(groups)) match(at_rows$text, groups)[at_rows$code] else 1L
  cache$groups <- groups
  cache$n_g <- n_g
  # answers with a wave outside 1..n_wave (none in a valid panel) are left
  # out, as `rows$wave == t1` leaves them out
  wv <- rows$wave
  key <- (wv - 1L) * n_g + gi
  if (!is.integer(wv) || anyNA(wv) || min(wv, n_wave) < 1L ||
      max(wv, 1L) > n_wave) {
    ok <- !is.na(wv) & wv >= 1L & wv <= n_wave
    key[!ok] <- NA_integer_
  }
  cache$cells <- split_rows(seq_len(nrow(rows)), key, n_wave * n_g)
  cache$group_people <- if (length(groups)) {
    # unnamed: tipping_group() drops the names anyway
    split_rows(unname(base), match(at_base$text, groups)[at_base$code], n_g)
  } else {
    list(base)
  }
  cache$outcomes <- list()
  cache$in_group <- list()
  cache
}

# The distinct values of v[at] (all of v by default) as text, and each
# value's position among them: for a factor its levels' codes, otherwise
# as.character() and match().
text_codes <- function(v, at = NULL) {
  if (is.factor(v)) {
    code <- unclass(v)
    attributes(code) <- NULL
    if (!is.null(at)) code <- code[at]
    present <- which(tabulate(code, nlevels(v)) > 0L)
    slot <- integer(nlevels(v))
    slot[present] <- seq_along(present)
    return(list(text = levels(v)[present], code = slot[code]))
  }
  text <- as.character(if (is.null(at)) v else v[at])
  u <- unique(text)
  list(text = u, code = match(text, u))
}

# The answers of wave t (in row order) in group g (everyone's when g is
# NULL).
tipping_cell <- function(cache, t, g) {
  j <- if (is.null(g)) 1L else match(g, cache$groups)
  if (is.na(j)) return(integer())
  cache$cells[[(t - 1L) * cache$n_g + j]]
}

# Which people are among the baseline people `grp` of group g: marked once
# per group and kept in the cache (the rows of a group share it).
tipping_in_group <- function(cache, g, grp, n_all) {
  key <- if (is.null(g)) "\r(all)" else paste0("=", g)
  mark <- cache$in_group[[key]]
  if (is.null(mark)) {
    mark <- person_mark(grp, n_all)
    cache$in_group[[key]] <- mark
  }
  mark
}

# The baseline people of group g (all of them when g is NULL).
tipping_group <- function(cache, g, base) {
  if (is.null(g)) return(unname(base))
  j <- match(g, cache$groups)
  if (is.na(j)) return(integer())
  unname(cache$group_people[[j]])
}

# Per outcome: is it binary, and its answers as a people x waves matrix.
tipping_outcome <- function(cache, v, y, n_all, n_wave, rows) {
  o <- cache$outcomes[[v]]
  if (is.null(o)) {
    o <- list(binary = is_binary_numeric(y))
    cache$outcomes[[v]] <- o
  }
  if (is.null(o$y_mat) && !is.null(rows)) {
    y_mat <- matrix(NA_real_, n_all, n_wave)
    y_mat[cbind(rows$person, rows$wave)] <- as.numeric(y)
    o$y_mat <- y_mat
    cache$outcomes[[v]] <- o
  }
  o
}

# The record of the rows kept by a subset (positions in the stored
# order).
restrict_tipping <- function(mat, keep) {
  mat$rows <- mat$rows[keep]
  if (!is.null(mat$cross)) {
    mat$cross <- lapply(mat$cross, function(m) m[keep, keep, drop = FALSE])
  }
  mat
}

# While `keep` is TRUE the estimating functions leave the per-person
# influence values and tipping material in the tables they make (the
# table as it was before tables were lean); only people_table() sets it,
# to recompute them from the weights, and never returns such a table.
pa_people <- new.env(parent = emptyenv())
pa_people$keep <- FALSE

with_people <- function(expr) {
  old <- pa_people$keep
  pa_people$keep <- TRUE
  on.exit(pa_people$keep <- old)
  expr
}

# A few numbers that tell the weights a table was made from: the number
# of people and, per wave, the sum and the sum of squares of the weights.
weights_fingerprint <- function(w) {
  wt <- w$weights
  # colSums(wt, na.rm = TRUE) and colSums(wt^2, na.rm = TRUE) in one pass
  # of the kernel, without a matrix of squares (the same sums, to the bit)
  sums <- if (is.double(wt) && is.matrix(wt)) {
    .Call(C_column_sums, wt)
  } else {
    list(sum = unname(colSums(wt, na.rm = TRUE)),
         sum_sq = unname(colSums(wt^2, na.rm = TRUE)))
  }
  list(people = nrow(wt), sum = sums$sum, sum_sq = sums$sum_sq)
}

# The last step of wave_means() and panel_change(): the table loses its
# per-person influence values (left by build_estimates()) and gets the
# record tipping_point() reads. `w` is the weights the estimates were
# computed with, `fingerprint` that of the weights the user passed, and
# `redo` the settings with which the table can be made again. `cells`
# tells each row's respondents (as in mean_cells(): `members`, rows of
# the answers whose people are `person`), its `type` and `sd` (the
# weighted SD of its values, for means).
finish_table <- function(out, w, kind, by, fingerprint, redo, cells) {
  infl <- attr(out, "influence")
  if (isTRUE(pa_people$keep)) {
    attr(out, "tipping") <- tipping_material(w, out, kind, by, infl)
    return(out)
  }
  attr(out, "influence") <- NULL
  attr(out, "tipping") <- lean_tipping(w, out, kind, by, infl, cells,
                                       fingerprint, redo)
  out
}

# The record a table keeps for tipping_point(), made from the table's
# cells and influence values, neither kept.
#
# For a mean (or change) of a group with base weights d, size N_d and
# answered indicators a, shifting each dropout by delta moves the
# estimate by delta * share, share = sum d (1 - a) / N_d, and adds
# delta * v to its influence values, v = d ((1 - a) - share) / N_d on the
# group's baseline people. The variance of any signed sum of shifted rows
# j is then a quadratic form in the signs and delta with the matrices
#   B_jk = cross(I_j, I_k), C_jk = cross(I_j, v_k), V_jk = cross(v_j, v_k),
# I the rows' influence values and cross() the design aggregation of every
# variance (influence_crossprod()), over the same people (those with
# influence values and the groups' baseline people). Rows are in stored
# order; entries of rows that are not means (or are suppressed) are NA.
# The conditions that would stop a tipping analysis (`by` not a baseline
# covariate, a row's respondents outside its group's baseline people) are
# kept and raised only if one is asked for; suppressed rows get nothing.
lean_tipping <- function(w, tab, kind, by, infl, cells, fingerprint, redo) {
  if (is.null(infl) || !kind %in% c("wave_means", "panel_change")) {
    return(NULL)
  }
  # a formula keeps the environment it was written in, which may hold
  # data; functions in it are still found from the base environment
  if (inherits(redo$outcome_model, "formula")) {
    environment(redo$outcome_model) <- baseenv()
  }
  q <- nrow(tab)
  rec <- list(fingerprint = fingerprint, redo = redo, error = NULL,
              rows = vector("list", q), cross = NULL)
  if (!is.null(by) && !by %in% names(w$panel$baseline)) {
    rec$error <- group_error(by)
    return(rec)
  }
  n_all <- nrow(w$weights)
  base <- unname(w$baseline_rows)
  # the base weights of the people (only the groups' baseline people are
  # read)
  d <- w$base_weights
  if (!is.double(d) || length(d) != n_all) {
    d <- numeric(n_all)
    d[base] <- w$base_weights[base]
  }
  # each row's group: its label and its baseline people (in baseline
  # order), one split of the baseline people for all rows
  if (is.null(by)) {
    label <- rep("(all)", q)
    people_of <- list(base)
    at_group <- rep(1L, q)
  } else {
    g <- as.character(tab[[by]])
    label <- paste0("=", g)
    gb <- text_codes(w$panel$baseline[[by]], base)
    people_of <- c(split_rows(base, gb$code, length(gb$text)), list(integer()))
    at_group <- match(g, gb$text, nomatch = length(people_of))
  }
  active <- !(tab$suppressed %in% TRUE) & !is.na(tab$estimate)
  is_mean <- kind == "panel_change" | cells$type == "mean"
  members <- cells$members
  members[!active] <- list(NULL)
  shift <- .Call(C_tipping_shares, as.integer(cells$person),
                 lapply(members, function(m) if (!is.null(m)) as.integer(m)),
                 people_of[at_group], d, n_all, active & is_mean)
  mean_rows <- integer()
  used <- logical(length(people_of))
  for (k in which(active)) {
    if (!shift$ok[k]) {
      rec$rows[[k]] <- list(error = outside_group_error(k, by))
    } else if (is_mean[k]) {
      rec$rows[[k]] <- list(type = "mean",
                            sd = if (kind == "wave_means") cells$sd[k] else
                              NA_real_,
                            share = shift$share[k])
      mean_rows <- c(mean_rows, k)
      used[at_group[k]] <- TRUE
    } else {
      rec$rows[[k]] <- list(type = "proportion")
      used[at_group[k]] <- TRUE
    }
  }
  if (!length(mean_rows)) return(rec)
  # the people in increasing order (as sort(union()) gives them), and
  # each one's position among them, by lookup rather than hashing
  people <- if (is_everyone(infl$people, n_all)) {
    infl$people
  } else {
    mark <- person_mark(infl$people, n_all)
    for (grp in people_of[used]) mark[grp] <- TRUE
    marked(mark)
  }
  # (everyone: a person's position is the person)
  position <- if (length(people) == n_all) {
    function(x) x
  } else {
    pos <- integer(n_all)
    pos[people] <- seq_along(people)
    function(x) pos[x]
  }
  m <- length(mean_rows)
  # the influence values I (columns 1..m) and v (m + 1..2m) side by side,
  # as their rows among `people` with the values there (the kernel adds
  # the zeros elsewhere without forming the people x 2m matrix)
  at <- position(infl$people)
  values <- infl$values
  # (held by columns, the values need rows among `people` in increasing
  # order, which `at` is when the people are sorted, as they are)
  if (!inherits(values, "matrix") && is.unsorted(at, strictly = TRUE)) {
    values <- if (inherits(values, "pa_split")) {
      dense_split(values)
    } else {
      dense_influence(values)
    }
  }
  # the mean rows' influence columns for the kernel: dense ones (columns
  # `cols` of `values`, rows `at`) first, then sparse ones (i_cols), in the
  # order `i_order` of the rows they belong to
  i_cols <- list()
  i_order <- mean_rows
  cols <- mean_rows
  # (the rows of a column, among the people with influence values, are
  # their own positions when those people are 1..n and everyone)
  same_rows <- is_everyone(at, length(at))
  sparse_columns <- function(cols_list) {
    lapply(cols_list, function(col) {
      list(if (same_rows) col[[1L]] else at[col[[1L]]], col[[2L]])
    })
  }
  if (inherits(values, "pa_columns")) {
    i_cols <- sparse_columns(values[mean_rows])
    values <- matrix(0, 0L, 0L)
    at <- integer()
    cols <- integer()
  } else if (inherits(values, "pa_split")) {
    dense_rows <- mean_rows[mean_rows %in% values$dense_cols]
    sparse_rows <- setdiff(mean_rows, dense_rows)
    i_cols <- sparse_columns(
      values$columns[match(sparse_rows, values$sparse_cols)]
    )
    i_order <- c(dense_rows, sparse_rows)
    cols <- match(dense_rows, values$dense_cols)
    values <- values$dense
  } else if (is.unsorted(at, strictly = TRUE)) {
    o <- order(at)
    at <- at[o]
    values <- values[o, mean_rows, drop = FALSE]
    cols <- seq_len(m)
  }
  # each group's people among `people` (once per group), in increasing
  # order, with their base weights in that order; each row's shift column
  # is made by the kernel from these, the row's marks of who answered (in
  # the same order), its share and its group's size
  g_pos <- vector("list", length(people_of))
  g_ord <- vector("list", length(people_of))
  g_d <- vector("list", length(people_of))
  for (j in unique(at_group[mean_rows])) {
    g_at <- position(people_of[[j]])
    g_d[[j]] <- d[people_of[[j]]]
    if (is.unsorted(g_at, strictly = TRUE)) {
      g_ord[[j]] <- order(g_at)
      g_at <- g_at[g_ord[[j]]]
      g_d[[j]] <- g_d[[j]][g_ord[[j]]]
    }
    g_pos[[j]] <- g_at
  }
  groups <- lapply(mean_rows, function(k) {
    j <- at_group[k]
    a <- shift$answered[[k]]
    list(g_pos[[j]], g_d[[j]], if (is.null(g_ord[[j]])) a else a[g_ord[[j]]],
         shift$share[k], shift$size[k])
  })
  design <- w$panel$design
  if (!is.null(design)) {
    design <- design[c("strata", "psu", "popsize", "lonely_psu",
                       "strata_labels")]
  }
  cp <- tipping_cross(values, at, cols, c(i_cols, groups), design, people)
  blank <- matrix(NA_real_, q, q)
  rec$cross <- list(B = blank, C = blank, V = blank)
  # each mean row's influence column among the kernel's first m columns,
  # and its shift column among the next m
  i <- match(mean_rows, i_order)
  v <- m + seq_len(m)
  rec$cross$B[mean_rows, mean_rows] <- cp[i, i]
  rec$cross$C[mean_rows, mean_rows] <- cp[i, v]
  rec$cross$V[mean_rows, mean_rows] <- cp[v, v]
  rec
}

# The condition kept when a table's groups are not baseline covariates.
group_error <- function(by) {
  structure(
    class = c("panelattrition_arg_error", "panelattrition_error", "error",
              "condition"),
    list(message = sprintf(paste("Delta adjustment needs the groups of",
                                 "the people who dropped out, so `%s`",
                                 "must be a baseline covariate (named in",
                                 "panel_data(baseline = ))."), by),
         call = NULL, argument = "x")
  )
}

# The condition kept for row k of a table whose respondents are not all
# among its group's baseline people.
outside_group_error <- function(k, by) {
  tryCatch(
    pa_abort(
      sprintf(paste("The respondents behind row %d of `x` are not all in",
                    "its group's baseline sample: `%s` must be the same for",
                    "a person at every wave."), k, by %||% ""),
      class = "panelattrition_arg_error", argument = "x"
    ),
    panelattrition_error = function(e) e
  )
}

# influence_vcov(both, design, people) of the people x 2m matrix `both`
# whose columns are the columns `cols` of `values` (rows `at` among
# `people`, strictly increasing, zero elsewhere) and, for each of
# `groups`, list(rows, values) (rows strictly increasing) or a row's shift
# list(rows, d, answered, share, size), whose values d ((1 - answered) -
# share) / size the kernel makes as it reads them: the same numbers, from
# a kernel that never forms `both` (r_estimate.c).
tipping_cross <- function(values, at, cols, groups, design, people) {
  n <- length(people)
  q <- length(cols) + length(groups)
  if (is.null(design)) {
    return(.Call(C_tipping_cross, double_matrix(values), as.integer(at),
                 as.integer(cols), groups, n, NULL, NULL, NULL, 0L))
  }
  if (!n) return(matrix(0, q, q))
  rule <- lonely_rule(design)
  if (rule == "fail") check_lonely(design, people, "The variance")
  pop <- if (!is.null(design$popsize)) {
    as.double(design_at(design$popsize, people))
  }
  .Call(C_tipping_cross, double_matrix(values), as.integer(at),
        as.integer(cols), groups, n, as.integer(design_at(design$psu, people)),
        as.integer(design_at(design$strata, people)), pop,
        match(rule, c("adjust", "average"), nomatch = 0L))
}

# The table `tab` made again from its weights `w` with the per-person
# values it does not keep (influence values and tipping material), after
# checking that `w` is the weights it was made from.
people_table <- function(tab, w) {
  rec <- attr(tab, "tipping")
  check_table_weights(w, rec)
  redo <- rec$redo
  full <- with_people(suppressMessages(switch(
    attr(tab, "kind"),
    wave_means = wave_means(w, redo$outcomes, by = attr(tab, "by"),
                            estimator = redo$estimator, se = redo$se,
                            conf_level = attr(tab, "conf_level"),
                            min_n = redo$min_n,
                            outcome_model = redo$outcome_model),
    panel_change = panel_change(w, redo$outcome, from = redo$from,
                                to = redo$to, by = attr(tab, "by"),
                                se = redo$se,
                                conf_level = attr(tab, "conf_level"),
                                min_n = redo$min_n)
  )))
  full
}

# Stop unless `w` is the pa_weights object a table was made from (same
# people, same weights at every wave, the table's outcomes among its
# columns).
check_table_weights <- function(w, rec) {
  if (is.null(w)) {
    pa_abort(
      paste("The proportions in `x` need the people behind them (their",
            "answers and the dropouts' MAR probabilities), which a table",
            "does not keep: pass `w = ` the weights the table was made",
            "from."),
      class = "panelattrition_arg_error", argument = "w"
    )
  }
  if (!inherits(w, "pa_weights")) {
    arg_error("w", "the pa_weights object `x` was made from", w)
  }
  fp <- weights_fingerprint(w)
  old <- rec$fingerprint
  same <- function(a, b) {
    length(a) == length(b) && isTRUE(all.equal(a, b, tolerance = 1e-12))
  }
  outcomes <- c(rec$redo$outcomes, rec$redo$outcome)
  if (is.null(old) || !identical(fp$people, old$people) ||
      !same(fp$sum, old$sum) || !same(fp$sum_sq, old$sum_sq) ||
      !all(outcomes %in% names(w$panel$data))) {
    pa_abort(
      paste("`w` is not the weights `x` was made from (its people or",
            "weights differ): pass `w = ` the pa_weights object given to",
            "the function that made the table."),
      class = "panelattrition_arg_error", argument = "w"
    )
  }
  invisible(w)
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


