# From survey exports to a person-by-wave panel.
#
# panel_data() checks the long data (as read_waves() in read.R stacks it)
# and records who answered when. It stops loudly on anything that would
# make a later weight or estimate wrong, and every message names the wave,
# rows or ids concerned.

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
#' panel. The bootstrap resamples PSUs within strata (the Rao-Wu
#' bootstrap; section Designs of [boot_control()]).
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
  check_required("data", "id", "wave")
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
  check_plain_column(data[[id]], id, "id", "`data`")
  check_plain_column(data[[wave]], wave, "wave", "`data`")
  if (nrow(data) == 0L) {
    pa_abort(
      c("`data` has no rows: a panel needs at least one answer.",
        i = "Check the filter or the files that built it."),
      class = c("panelattrition_empty_error", "panelattrition_panel_error"),
      argument = "data"
    )
  }

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
    c(sprintf("Column `%s` (given as `%s`) is not in `%s`.",
              column, arg, df_name),
      did_you_mean(column, names(df)),
      i = sprintf("Its columns are: %s.", format_names(names(df)))),
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
      check_plain_column(frame[[v]], v, "baseline", "`frame`")
      base[[v]] <- frame[[v]]
      next
    }
    x <- data[[v]]
    check_plain_column(x, v, "baseline", "`data`")
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
  check_required("panel")
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
