# The sampling design of the baseline sample: strata, primary sampling
# units (PSUs) and finite population corrections, given as columns to
# panel_data() or as a survey.design2 object, and the design-based
# variance that every variance of the package passes through.
#
# A panel follows the people of one baseline sample, so the design is a
# property of the person: each person of the panel has one stratum and one
# PSU, the same at every wave. Influence values are per person; the
# variance of a sum of them under a stratified cluster design with
# replacement of PSUs (the "ultimate cluster" approximation that survey
# uses at its first stage) is
#
#   V = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (z_hj - zbar_h)^2
#
# with z_hj the total of the influence values in PSU j of stratum h, n_h the
# number of PSUs of the stratum among the people used and f_h = n_h / N_h
# (N_h the stratum's population count of PSUs, the fpc). Because the PSU is
# the same at every wave, covariances across waves (changes, transitions,
# contrasts of waves) come out of the same sum.

lonely_psu_choices <- c("fail", "remove", "adjust", "average")

# The design of the panel's people (`ids`, rows of `response`), or NULL.
# Called by panel_data() after the baseline table is collected.
build_sampling_design <- function(data, frame, id, ids, ids_text, person,
                                  strata, cluster, fpc, nest, design,
                                  lonely_psu) {
  if (!is.null(lonely_psu)) {
    lonely_psu <- match_choice(lonely_psu, lonely_psu_choices, "lonely_psu")
  }
  check_flag(nest, "nest")
  check_string(strata, "strata", null_ok = TRUE)
  check_string(cluster, "cluster", null_ok = TRUE)
  check_string(fpc, "fpc", null_ok = TRUE)
  cols <- c(strata = strata, cluster = cluster, fpc = fpc)
  if (!is.null(design)) {
    if (length(cols)) {
      pa_abort(
        sprintf(paste("Give the sampling design either as `design` or as",
                      "columns (%s), not both."),
                format_names(names(cols))),
        class = "panelattrition_arg_error", argument = names(cols)[1L]
      )
    }
    out <- design_from_survey(design, id, ids, ids_text, lonely_psu)
  } else if (!length(cols)) {
    if (!is.null(lonely_psu)) {
      pa_abort("`lonely_psu` applies to a sampling design: give `strata`, `cluster` or `design` too.",
               class = "panelattrition_arg_error", argument = "lonely_psu")
    }
    return(NULL)
  } else {
    if (id %in% cols) {
      pa_abort(sprintf("`%s` must not be the id column.", names(cols)[cols == id][1L]),
               class = "panelattrition_arg_error",
               argument = names(cols)[cols == id][1L])
    }
    values <- collect_baseline(data, frame, id, ids, ids_text, person,
                               unname(cols))
    get <- function(k) if (!is.na(cols[k])) values[[cols[[k]]]]
    out <- design_from_columns(get("strata"), get("cluster"), get("fpc"),
                               cols, nest, ids)
    out$weights <- NULL
  }
  out$lonely_psu <- lonely_psu
  out$nest <- nest
  check_lonely(out, seq_along(out$psu), "panel_data()")
  out
}

design_error <- function(message, ..., argument = NULL) {
  pa_abort(message, class = c("panelattrition_design_error",
                              "panelattrition_panel_error"),
           argument = argument, ...)
}

# Strata, PSUs and fpc from person-level values (NULL when not given).
design_from_columns <- function(strata, cluster, fpc, cols, nest, ids) {
  n <- length(ids)
  for (k in intersect(c("strata", "cluster"), names(cols))) {
    v <- if (k == "strata") strata else cluster
    miss <- which(is.na(v))
    if (length(miss)) {
      design_error(
        sprintf(paste("%s column `%s` (given as `%s`) is missing for %d",
                      "%s, e.g. %s. Every person of the panel needs a",
                      "%s."),
                if (k == "strata") "Stratum" else "PSU", cols[[k]], k,
                length(miss), plural(length(miss), "person", "people"),
                format_values(to_character(ids[miss])),
                if (k == "strata") "stratum" else "PSU"),
        argument = k, ids = ids[miss]
      )
    }
  }
  strata_code <- if (is.null(strata)) rep(1L, n) else
    match(strata, sort_unique(strata))
  if (is.null(cluster)) {
    psu <- seq_len(n)
  } else {
    key <- if (nest) paste(strata_code, to_character(cluster), sep = "\r")
           else to_character(cluster)
    psu <- match(key, unique(key))
    if (!nest) {
      n_str <- tabulate(psu[!duplicated(cbind(psu, strata_code))],
                        max(psu))
      crossed <- which(n_str > 1L)
      if (length(crossed)) {
        design_error(
          sprintf(paste("PSUs must be nested in strata, but %d %s of",
                        "`%s` %s in more than one stratum of `%s`, e.g.",
                        "%s. If PSU labels restart within each stratum,",
                        "use `nest = TRUE`."),
                  length(crossed), plural(length(crossed), "PSU"),
                  cols[["cluster"]],
                  if (length(crossed) == 1L) "appears" else "appear",
                  cols[["strata"]],
                  format_values(unique(key)[crossed])),
          argument = "cluster"
        )
      }
    }
  }
  popsize <- NULL
  if (!is.null(fpc)) {
    if (!is.numeric(fpc) || anyNA(fpc) || any(fpc <= 0)) {
      design_error(
        sprintf(paste("`fpc` column `%s` must hold positive numbers for",
                      "everyone (%d %s not)."),
                cols[["fpc"]],
                sum(!is.numeric(fpc) | is.na(fpc) | fpc <= 0),
                if (sum(!is.numeric(fpc) | is.na(fpc) | fpc <= 0) == 1L)
                  "does" else "do"),
        argument = "fpc"
      )
    }
    popsize <- design_popsize(as.numeric(fpc), strata_code, psu, cols)
  }
  list(strata = strata_code, psu = psu, popsize = popsize,
       columns = as.list(cols),
       strata_labels = if (!is.null(strata)) sort_unique(strata))
}

# fpc as survey reads it: all values <= 1 are sampling fractions of PSUs,
# otherwise population counts of PSUs per stratum. Fractions become counts
# with the baseline sample's number of PSUs in the stratum.
design_popsize <- function(fpc, strata, psu, cols) {
  per <- tapply(fpc, strata, function(v) length(unique(v)))
  if (any(per > 1L)) {
    design_error(
      sprintf(paste("`fpc` (`%s`) must be the same for everyone in a",
                    "stratum, but differs within %d %s."),
              cols[["fpc"]], sum(per > 1L),
              plural(sum(per > 1L), "stratum", "strata")),
      argument = "fpc"
    )
  }
  n_h <- psu_counts(strata, psu)
  fraction <- all(fpc <= 1)
  popsize <- if (fraction) n_h[strata] / fpc else fpc
  below <- unique(strata[popsize < n_h[strata] * (1 - 1e-12)])
  if (length(below)) {
    design_error(
      sprintf(paste("`fpc` (`%s`) is below the sample size in %d %s: the",
                    "population cannot have fewer PSUs than the %s",
                    "sampled (e.g. %g PSUs sampled, fpc %g)."),
              cols[["fpc"]], length(below),
              plural(length(below), "stratum", "strata"),
              plural(n_h[below[1L]], "one", "ones"), n_h[below[1L]],
              fpc[match(below[1L], strata)]),
      argument = "fpc"
    )
  }
  popsize
}

# Number of distinct PSUs in each stratum (strata coded 1..H).
psu_counts <- function(strata, psu) {
  # (by the kernel for plain integer codes of every row)
  if (is.integer(psu) && is.integer(strata) &&
      length(psu) == length(strata)) {
    out <- .Call(C_psu_counts, strata, psu)
    if (!is.null(out)) return(out)
  }
  if (is.integer(psu) && is.integer(strata) && length(psu) &&
      !anyNA(psu) && min(psu) >= 1L) {
    # the PSU codes of a panel's design are 1..K, each within one stratum
    # (build_sampling_design()): the strata of the PSUs present, by
    # counting rather than by hashing every person's PSU
    k <- max(psu)
    stratum_of <- integer(k)
    stratum_of[psu] <- strata
    return(tabulate(stratum_of[tabulate(psu, k) > 0L], max(strata, 0L)))
  }
  first <- !duplicated(psu)
  tabulate(strata[first], max(strata, 0L))
}

# From a survey.design2 of the baseline sample: rows matched to the
# panel's people by the id column of its variables; its weights become the
# base weights.
design_from_survey <- function(design, id, ids, ids_text, lonely_psu) {
  if (!inherits(design, "survey.design2")) {
    arg_error("design", "NULL or a survey.design2 object from survey::svydesign()",
              design)
  }
  vars <- design$variables
  if (is.null(vars) || !id %in% names(vars)) {
    design_error(
      sprintf(paste("The variables of `design` must include the id column",
                    "`%s`, which matches its rows to the panel's people."),
              id),
      argument = "design"
    )
  }
  d_ids <- to_character(vars[[id]])
  if (anyNA(d_ids) || anyDuplicated(d_ids)) {
    design_error(
      sprintf("`design` must have one row per person: its id column `%s` has %s.",
              id, if (anyNA(d_ids)) "missing values" else "repeated ids"),
      argument = "design"
    )
  }
  pos <- match(ids_text, d_ids)
  extra <- setdiff(d_ids, ids_text)
  if (anyNA(pos) || length(extra)) {
    lack <- ids_text[is.na(pos)]
    design_error(
      sprintf(paste("The rows of `design` must be the panel's people (the",
                    "baseline sample: everyone in `frame` if given, else",
                    "everyone in `data`), matched by `%s`.%s%s"),
              id,
              if (length(lack)) sprintf(" %d %s of the panel %s no row: %s.",
                                        length(lack), plural(length(lack), "person", "people"),
                                        if (length(lack) == 1L) "has" else "have",
                                        format_values(lack)) else "",
              if (length(extra)) sprintf(" %d %s of `design` %s not in the panel: %s.",
                                         length(extra), plural(length(extra), "row"),
                                         if (length(extra) == 1L) "is" else "are",
                                         format_values(extra)) else ""),
      argument = "design"
    )
  }
  prob <- design$prob[pos]
  if (any(!is.finite(prob) | prob <= 0 | !is.finite(1 / prob))) {
    design_error(
      paste("`design` has rows with zero weight (a subset of a design);",
            "give the design of the whole baseline sample."),
      argument = "design"
    )
  }
  strata_raw <- design$strata[pos, 1L]
  strata <- match(strata_raw, sort_unique(strata_raw))
  cl <- to_character(design$cluster[pos, 1L])
  key <- paste(strata, cl, sep = "\r")
  psu <- match(key, unique(key))
  popsize <- design$fpc$popsize
  if (!is.null(popsize)) popsize <- as.numeric(popsize[pos, 1L])
  if (!is.null(popsize) && all(!is.finite(popsize))) popsize <- NULL
  list(strata = strata, psu = psu, popsize = popsize,
       weights = 1 / prob, columns = list(),
       strata_labels = sort_unique(strata_raw))
}

# The lonely-PSU rule in force: the panel's own, else survey's option.
lonely_rule <- function(design) {
  rule <- design$lonely_psu %||% getOption("survey.lonely.psu") %||% "fail"
  if (identical(rule, "certainty")) rule <- "remove"
  if (!rule %in% lonely_psu_choices) {
    pa_abort(sprintf("`options(survey.lonely.psu)` is \"%s\"; panelattrition uses %s.",
                     rule, format_values(lonely_psu_choices, n = Inf)),
             class = "panelattrition_design_error", argument = "lonely_psu")
  }
  rule
}

# x[people] for a design's per-person vector x: x itself when `people` is
# everyone in order (1..length(x)), which is common and needs no copy.
design_at <- function(x, people) {
  if (length(x) > 0L && is_everyone(people, length(x))) return(x)
  x[people]
}

# A stratum with one PSU among `rows` under "fail" is an error.
check_lonely <- function(design, rows, fun) {
  if (lonely_rule(design) != "fail") return(invisible())
  n_h <- psu_counts(design_at(design$strata, rows), design_at(design$psu, rows))
  lonely <- which(n_h == 1L)
  if (!length(lonely)) return(invisible())
  labels <- design$strata_labels %||% seq_along(n_h)
  pa_abort(
    sprintf(paste("%s: %d %s only one PSU among the people used, e.g.",
                  "stratum %s, so its variance cannot be estimated. Choose",
                  "how to treat lonely PSUs with panel_data(lonely_psu = )",
                  "or options(survey.lonely.psu = ): \"remove\",",
                  "\"adjust\" or \"average\"."),
            fun, length(lonely),
            if (length(lonely) == 1L) "stratum has" else "strata have",
            format_values(to_character(labels[lonely]))),
    class = c("panelattrition_lonely_psu_error", "panelattrition_design_error"),
    strata = labels[lonely]
  )
}

# The design-based covariance of the totals of influence values `infl`
# (rows: the panel's people `people`, by default all of them). Strata are
# handled as survey's onestrat() handles them, lonely PSUs included.
design_vcov <- function(infl, design, people = NULL) {
  infl <- as.matrix(infl)
  if (is.null(people)) people <- seq_len(nrow(infl))
  strata <- design_at(design$strata, people)
  psu <- design_at(design$psu, people)
  p <- ncol(infl)
  out <- matrix(0, p, p, dimnames = list(colnames(infl), colnames(infl)))
  if (!length(people)) return(out)
  rule <- lonely_rule(design)
  if (rule == "fail") check_lonely(design, people, "The variance")
  # PSU totals, centred within strata, scaled by f_h n_h / (n_h - 1) as
  # survey's onestrat() does (estimate.c)
  pop <- if (!is.null(design$popsize)) {
    as.double(design_at(design$popsize, people))
  }
  out[] <- .Call(C_influence_vcov, double_matrix(infl), as.integer(psu),
                 as.integer(strata), pop,
                 match(rule, c("adjust", "average"), nomatch = 0L))
  out
}
