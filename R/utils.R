# Small helpers shared by every layer: no dependency on any other file of
# the package.

`%||%` <- function(x, y) if (is.null(x)) y else x

# "\"a\", \"b\" or \"c\"": a list of choices for a message.
format_choices <- function(x, last = "or") {
  q <- sprintf("\"%s\"", x)
  if (length(q) < 2L) return(q)
  paste(paste(q[-length(q)], collapse = ", "), last, q[length(q)])
}

plural <- function(n, one, many = paste0(one, "s")) {
  ifelse(n == 1, one, many)
}

upper_first <- function(x) {
  paste0(toupper(substr(x, 1L, 1L)), substr(x, 2L, nchar(x)))
}

format_percent <- function(x) {
  ifelse(is.na(x), "-", sprintf("%.1f%%", x))
}

# Quoted values, at most `n` of them, then "..." for the rest.
format_values <- function(x, n = 5L, collapse = ", ") {
  text <- if (is.character(x) || is.factor(x)) {
    sprintf("\"%s\"", x)
  } else {
    to_character(x)
  }
  if (length(text) > n) text <- c(utils::head(text, n), "...")
  if (is.null(collapse)) text else paste(text, collapse = collapse)
}

format_names <- function(x, n = 10L) {
  text <- sprintf("`%s`", x)
  if (length(text) > n) text <- c(utils::head(text, n), "...")
  paste(text, collapse = ", ")
}

format_rows <- function(rows, n = 10L) {
  text <- as.character(rows)
  if (length(text) > n) text <- c(utils::head(text, n), "...")
  paste(text, collapse = ", ")
}

# as.character() would write 100000 as "1e+05"; ids and codes must not change
# spelling when a column is widened to character.
to_character <- function(x) {
  if (is.factor(x) || !is.double(x)) return(as.character(x))
  out <- as.character(x)
  whole <- !is.na(x) & is.finite(x) & x == round(x) & abs(x) < 1e15
  out[whole] <- sprintf("%.0f", x[whole])
  out
}


sort_unique <- function(x) {
  if (is.factor(x)) {
    # the levels in use, in level order (levels(droplevels(x)) without
    # building the dropped factor)
    lv <- levels(x)
    if (!anyNA(lv)) return(lv[code_counts(x, length(lv)) > 0L])
    return(levels(droplevels(x)))
  }
  sort(unique(x))
}

# tabulate(unclass(x), n) for a factor or integer codes x, by one pass of
# the kernel over the codes where they are (no copy without attributes).
code_counts <- function(x, n) {
  if (typeof(x) == "integer") {
    out <- .Call(C_value_counts, x, x, as.integer(n))
    if (!is.null(out)) return(out)
  }
  tabulate(unclass(x), n)
}

# anyNA(x), for a factor by counting its codes (anyNA() of a classed
# vector makes is.na(x), a logical vector of every value).
has_na <- function(x) {
  if (is.factor(x)) return(sum(code_counts(x, nlevels(x))) < length(x))
  anyNA(x)
}

# Whether x is a sorted vector of positive integer codes (as the answers'
# people of a GEE fit are), whose distinct values and run lengths can be
# found by counting rather than hashing.
sorted_codes <- function(x) {
  is.integer(x) && length(x) && !anyNA(x) && x[1L] >= 1L && !is.unsorted(x)
}

# x[!duplicated(x)] (for sorted codes, the values present in increasing
# order, by counting).
first_of_each <- function(x) {
  if (sorted_codes(x)) return(which(tabulate(x, x[length(x)]) > 0L))
  x[!duplicated(x)]
}

# rle(x)$lengths (for sorted codes, how often each value present occurs,
# by counting).
run_lengths <- function(x) {
  if (!sorted_codes(x)) return(rle(x)$lengths)
  count <- tabulate(x, x[length(x)])
  count[count > 0L]
}

# TRUE for the people `who` (indices 1..n) among n: `seq_len(n) %in% who`
# by lookup rather than hashing
person_mark <- function(who, n) {
  mark <- logical(n)
  mark[who] <- TRUE
  mark
}
