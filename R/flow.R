# Who answered when: the response flow of a panel, as a table and a diagram.

#' Response flow: who answered at each wave
#'
#' Everyone who started (the frame when [panel_data()] was given one,
#' otherwise the first wave's respondents and anyone who joined later),
#' then how many of them answered at each wave, overall and by group, with
#' the percentage of the starters. Groups with fewer than `min_n`
#' respondents at a wave are suppressed, and when a single group of a wave
#' is suppressed the next smallest is too, so that the total cannot reveal
#' it.
#'
#' @param panel A `pa_panel` from [panel_data()] (or a `pa_weights`
#'   object, whose panel is used).
#' @param by Optional name of a baseline column whose groups to show.
#' @param min_n Smallest count shown.
#' @return A `pa_flow` data frame: `group` (`"everyone"` for the total),
#'   `wave`, `started`, `answered`, `percent` (of `started`),
#'   `suppressed`. `plot()` draws it as a diagram.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' panel <- panel_data(read_waves(files, id = "id"), id = "id", wave = "wave",
#'                     baseline = c("group", "gender", "age"))
#' response_flow(panel, by = "group")
#' plot(response_flow(panel, by = "group"))
response_flow <- function(panel, by = NULL,
                          min_n = getOption("panelattrition.min_n", 5)) {
  check_required("panel")
  if (inherits(panel, "pa_weights")) panel <- panel$panel
  if (!inherits(panel, "pa_panel")) {
    arg_error("panel", "a pa_panel from panel_data()", panel)
  }
  check_min_n(min_n)
  r <- panel$response
  started <- rowSums(r) > 0L | isTRUE(panel$frame_given)
  if (!is.null(by)) {
    check_string(by, "by")
    if (!by %in% names(panel$baseline)) {
      pa_abort(c(sprintf("`by` names `%s`, which is not a baseline column of the panel (%s).",
                         by, format_names(setdiff(names(panel$baseline), panel$id))),
                 did_you_mean(by, names(panel$baseline))),
               class = "panelattrition_arg_error", argument = "by")
    }
    g <- as.character(panel$baseline[[by]][match(panel$ids,
                                                 panel$baseline[[panel$id]])])
    g[is.na(g)] <- "(missing)"
  }
  groups <- if (is.null(by)) character() else sort(unique(g[started]))
  rows <- list()
  for (t in seq_along(panel$waves)) {
    rows[[length(rows) + 1L]] <- data.frame(
      group = "everyone", wave = panel$waves[t], started = sum(started),
      answered = sum(r[started, t]), stringsAsFactors = FALSE)
    for (gr in groups) {
      s <- started & g == gr
      rows[[length(rows) + 1L]] <- data.frame(
        group = gr, wave = panel$waves[t], started = sum(s),
        answered = sum(r[s, t]), stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, rows)
  # small cells, then one more per wave where a single group is hidden
  supp <- out$answered < min_n & out$answered > 0 | out$started < min_n
  for (wv in panel$waves) {
    s <- which(out$wave == wv & out$group != "everyone")
    if (sum(supp[s]) == 1L && length(s) > 1L) {
      cand <- s[!supp[s]]
      supp[cand[order(out$answered[cand])[1L]]] <- TRUE
    }
  }
  # a group hidden at any wave is hidden at every wave: its starters and
  # the rest of its row would otherwise narrow it down
  hidden_groups <- unique(out$group[supp & out$started < min_n])
  supp[out$group %in% hidden_groups] <- TRUE
  out$answered <- round_counts(out$answered)
  out$started <- round_counts(out$started)
  out$percent <- 100 * out$answered / out$started
  out$suppressed <- supp
  out[supp, c("answered", "percent")] <- NA
  out$started[out$group %in% hidden_groups] <- NA
  rownames(out) <- NULL
  structure(out, class = c("pa_flow", "data.frame"), by = by, min_n = min_n,
            frame_given = isTRUE(panel$frame_given))
}

#' @rdname response_flow
#' @param x A `pa_flow` table.
#' @param ... Unused.
#' @export
print.pa_flow <- function(x, ...) {
  cat(sprintf("<pa_flow> who answered at each wave%s; %% of those who started\n",
              if (!is.null(attr(x, "by"))) paste0(", by ", attr(x, "by")) else ""))
  df <- x
  class(df) <- "data.frame"
  attr(df, "by") <- attr(df, "min_n") <- attr(df, "frame_given") <- NULL
  df$percent <- format_percent(df$percent)
  df$answered <- ifelse(df$suppressed, "suppressed", format(df$answered))
  print(df, row.names = FALSE, right = TRUE)
  invisible(x)
}

#' @rdname pa_plots
#' @export
plot.pa_flow <- function(x, y, type = NULL, ...) {
  plot_type(type, "flow")
  df <- x
  class(df) <- "data.frame"
  dots <- list(...)
  groups <- unique(df$group)
  waves <- unique(df$wave)
  nr <- length(groups)
  nw <- length(waves)
  main <- dots$main %||% "Who answered at each wave"
  dots$main <- NULL
  note <- sprintf(paste("Boxes: people who answered, and their share of",
                        "everyone who started%s. Bars fill with the share."),
                  if (isTRUE(attr(x, "frame_given"))) " (the sample frame)" else "")
  if (any(df$suppressed)) {
    note <- paste(note, sprintf("Groups under %s respondents are suppressed.",
                                format(attr(x, "min_n"))))
  }
  left <- min(max(nchar(groups)) * 0.55 + 1.5, 16)
  old <- figure_begin(1L, below_lines(0L, note), NULL,
                      mar = c(1.1, left, 4.1, 1.1))
  on.exit(graphics::par(old))
  plot_frame(dots, xlim = c(0.5, nw + 0.5), ylim = c(0.4, nr + 0.6),
             xaxt = "n", yaxt = "n", bty = "n", main = main, xlab = "",
             ylab = "")
  graphics::axis(3, at = seq_len(nw), labels = waves, tick = FALSE,
                 font = 2, line = -0.6)
  at_y <- nr + 1 - seq_len(nr)
  started <- df$started[match(groups, df$group)]
  graphics::axis(2, at = at_y, tick = FALSE, las = 1, cex.axis = 0.9,
                 labels = ifelse(is.na(started), groups,
                                 sprintf("%s\n(%s started)", groups,
                                         trimws(format(started, big.mark = ",")))))
  hw <- 0.36
  hh <- 0.32
  for (i in seq_len(nr)) {
    for (j in seq_len(nw)) {
      row <- df[df$group == groups[i] & df$wave == waves[j], ]
      cx <- j
      cy <- at_y[i]
      graphics::rect(cx - hw, cy - hh, cx + hw, cy + hh, col = "grey97",
                     border = "grey60")
      if (row$suppressed) {
        graphics::rect(cx - hw, cy - hh, cx + hw, cy + hh, density = 10,
                       col = "grey80", border = "grey60")
        graphics::text(cx, cy, "suppressed", font = 3, col = "grey35",
                       cex = 0.85)
      } else {
        f <- row$percent / 100
        graphics::rect(cx - hw, cy - hh, cx - hw + 2 * hw * f, cy - hh + 0.12,
                       col = "#1B5E8C", border = NA)
        graphics::text(cx, cy + 0.06, sprintf("%s answered\n%.0f%%",
                                              format(row$answered, big.mark = ","),
                                              row$percent),
                       cex = 0.85)
      }
      if (j < nw) {
        graphics::arrows(cx + hw + 0.02, cy, cx + 1 - hw - 0.02, cy,
                         length = 0.07, col = "grey50")
      }
    }
  }
  legend_below(note = note)
  invisible(x)
}

#' @rdname pa_plots
#' @export
plot.pa_panel <- function(x, y, type = NULL, by = NULL,
                          min_n = getOption("panelattrition.min_n", 5), ...) {
  plot_type(type, "flow")
  plot(response_flow(x, by = by, min_n = min_n), ...)
  invisible(x)
}

#' @rdname pa_plots
#' @export
plot.pa_replicates <- function(x, y, type = NULL, ...) {
  plot_type(type, "ess")
  dots <- list(...)
  # a piece of replicates at a time when they are stored compactly
  vals <- replicate_apply(x, function(m) colSums(m)^2 / colSums(m^2))
  note <- sprintf("Each box: the %d bootstrap replicates of the weights.",
                  length(attr(x, "indices")))
  old <- figure_begin(1L, below_lines(0L, note))
  on.exit(graphics::par(old))
  args <- utils::modifyList(
    list(x = vals, las = 1, col = "#CFE0EE", border = "#1B5E8C",
         main = "Effective sample size of the replicate weights",
         xlab = "wave", ylab = "effective sample size"), dots)
  do.call(graphics::boxplot, args)
  legend_below(note = note)
  invisible(x)
}
