"""Every widget key and session-state entry, declared once."""

FILTER_PERIOD = "filter_period"
FILTER_AREA = "filter_area"  # the corners of an area drawn on the map (geo.filters.Filters.area), or None
FILTER_AREA_CLEAR = "filter_area_clear"
MAP_SAME_PLACE = "map_same_place"  # the list of reports under the selected one, per selection
MAP_DRAWN = "map_drawn"  # the last drawing the map reported, applied once
FILTER_TYPES = "filter_types"
FILTER_WEAPONS = "filter_weapons"
FILTER_SOURCES = "filter_sources"
FILTER_FLAG_LEVEL = "filter_flag_level"
FILTER_SIDE = "filter_side"
FILTER_RELIABILITY = "filter_reliability"
FILTER_SECTOR = "filter_sector"
FILTER_DISTANCE = "filter_distance"
FILTER_PRESET = "filter_preset"
FILTER_PARAMS = "filter_params"  # the last filters in their URL form: the next page starts from them
MAP = "map"
MAP_COLOUR = "map_colour"
MAP_SIZE = "map_size"  # how the dots are sized: geo.maps.sizing.SIZE_SCHEMES
MAP_LINE_VERSION = "map_line_version"
MAP_SEARCH = "map_search"
MAP_PLAYBACK = "map_playback"
MAP_PLAYING = "map_playing"
MAP_PLAY_DAY = "map_play_day"
MAP_PLAY_WINDOW = "map_play_window"  # the days shown at the day played: geo.playback.WINDOWS
MAP_PATTERNS = "map_patterns"
MAP_IMAGE_BUILD = "map_image_build"
MAP_IMAGE_DOWNLOAD = "map_image_download"
UPLOAD_FILE = "upload_file"
UPLOAD_UPLOADER = "upload_uploader"
UPLOAD_COMMIT = "upload_commit"
UPLOAD_PREVIEW = "upload_preview"
RETRACT_BATCH = "retract_batch"
RETRACT_CONFIRM = "retract_confirm"
RETRACT_BUTTON = "retract_button"
RETRACT_REASON = "retract_reason"
RESTORE_BATCH = "restore_batch"
RESTORE_REASON = "restore_reason"
RESTORE_BUTTON = "restore_button"

# Session-state entries that are not widgets: what the pages hand to folium (tests read these) and
# the outcome of an action that survives the rerun which refreshes the page chrome.
MAP_INCIDENT_COUNT = "map_incident_count"
MAP_POPUP_COUNT = "map_popup_count"
MAP_CONTEXT_COUNTS = "map_context_counts"
MAP_HEXAGON_COUNT = "map_hexagon_count"
MAP_LINK_VIEW = "map_link_view"
MAP_ANCHOR = "map_anchor"
MAP_BASE_VIEW = (
    "map_base_view"  # where the map in the browser first opened (kept: see geo.maps.build.LiveMap)
)
MAP_PLAY_TICK = "map_play_tick"
MAP_IMAGE = "map_image"
MAP_PLACE = "map_place"
MAP_TIMELINE = "map_timeline"  # the timeline chart, one key per period shown
MAP_SHOWN = "map_shown"  # the browser has drawn the Map page's map once in this session
MAP_TIMELINE_WAITS = "map_timeline_waits"  # the timeline's last run left it for the map
MAP_FRAGMENT = "map_fragment"  # the Map page's fragments, by key: the map, and the timeline under it
MAP_TIMELINE_FRAGMENT = "map_timeline_fragment"
MAP_PLACE_FOUND = "map_place_found"  # (name, lon, lat) of the settlement searched, marked on the map
MAP_PATTERN_COUNTS = "map_pattern_counts"
MAP_EVENT_COUNT = "map_event_count"
MAP_DOT_RADII = "map_dot_radii"  # the distinct radii of the report dots drawn (px)
MAP_LEGEND = "map_legend"  # the legend's title and section titles
MAP_LINE_DRAWN = "map_line_drawn"  # the contact line version drawn
MAP_LINK_DAY = "map_link_day"  # the day the link played (None: none), read once per session
OVERVIEW_MAP = "overview_map"
OVERVIEW_MAP_COUNT = "overview_map_count"
PREVIEW_COUNT = "upload_preview_count"
SELECTED_UID = "selected_uid"
UPLOAD_RESULT = "upload_result"
UPLOAD_RECEIPT = "upload_receipt"
RETRACT_RESULT = "retract_result"
RESTORE_RESULT = "restore_result"

# The Incidents page.
INCIDENTS_TABLE = "incidents_table"
INCIDENTS_MAP = "incidents_map"
INCIDENTS_EXPORT = {fmt: f"incidents_export_{fmt}" for fmt in ("csv", "geojson", "gpkg")}
INCIDENTS_ORIGINAL = "incidents_original"
INCIDENTS_MAP_COUNT = "incidents_map_count"
# Reports selected in the table (uids), kept across pages; the table's key adds its filters' hash.
INCIDENTS_SELECTION = "incidents_selection"
INCIDENTS_SELECTION_CLEAR = "incidents_selection_clear"
INCIDENTS_MAP_RINGS = "incidents_map_rings"  # the other selected reports ringed on the small map
MAP_SELECTION_CLEAR = "map_selection_clear"
MAP_SELECTION_FITTED = "map_selection_fitted"  # the selection the map was last fitted to
MAP_HIGHLIGHT = "map_highlight"  # the uids ringed as selected in Incidents
# The Zones and agreement page; ZONES_DRAWING holds the last shape drawn on the map (a GeoJSON geometry).
ZONES_VERSION = "zones_version"
ZONES_COMPARE = "zones_compare"
ZONES_MAP = "zones_map"
ZONES_LINE_FILE = "zones_line_file"
ZONES_LINE_SAVE = "zones_line_save"
ZONES_TARGET = "zones_target"
ZONES_ZONE_ID = "zones_zone_id"
ZONES_ZONE_KIND = "zones_zone_kind"
ZONES_ZONE_NAME = "zones_zone_name"
ZONES_ZONE_SAVE = "zones_zone_save"
ZONES_REMOVE_CONFIRM = "zones_remove_confirm"
ZONES_ZONE_REMOVE = "zones_zone_remove"
ZONES_DRAWING = "zones_drawing"
ZONES_RESULT = "zones_result"
ZONES_LAST_TARGET = "zones_last_target"
ZONES_MAP_LAYERS = "zones_map_layers"
ZONES_SHOW_VERSION = "zones_show_version"
ZONES_ZONE_NOTE = "zones_zone_note"
ZONES_LINE_NOTE = "zones_line_note"
# Zone drafts (issue 15): the draft an admin picked, the note of its publishing or discarding.
ZONES_DRAFT_PICK = "zones_draft_pick"
ZONES_DRAFT_NOTE = "zones_draft_note"
ZONES_DRAFT_PUBLISH = "zones_draft_publish"
ZONES_DRAFT_DISCARD = "zones_draft_discard"
ZONES_DRAFT_MAP = "zones_draft_map"
# The Upload page's CSV mapping step.
UPLOAD_CSV_PRESET = "upload_csv_preset"
UPLOAD_CSV_FIELDS = "upload_csv_fields"
UPLOAD_CSV_VALUES = "upload_csv_values"
UPLOAD_CSV_DAY_DATES = "upload_csv_day_dates"
UPLOAD_CSV_DATE_ORDER = "upload_csv_date_order"
# The analysis a run reads, by its key (ui.data.pin_analysis), and the note shown while the next one
# is computed in the background.
RUN_ANALYSIS = "run_analysis"
UPDATING_NOTE = "updating_note"
FOLLOW_SHOW = "follow_show"  # the button that shows another server's changes (ui.follow)
FOLLOW_SINCE = "follow_since"  # when the run chose its analysis (time.monotonic; ui.follow)
UPLOAD_CSV_ENCODING = "upload_csv_encoding"
UPLOAD_AS_TABLE = "upload_as_table"
UPLOAD_KEEP_REJECTED = "upload_keep_rejected"
UPLOAD_CSV_RESULT = "upload_csv_result"
UPLOAD_CSV_TABLE = "upload_csv_table"
UPLOAD_CSV_SAVE = "upload_csv_save"
# The Briefing page: its widgets, and what its buttons built (kept with what they were built for).
BRIEF_TITLE = "brief_title"
BRIEF_SIZE = "brief_size"
BRIEF_DPI = "brief_dpi"
BRIEF_FORMAT = "brief_format"
BRIEF_IMAGE_BUILD = "brief_image_build"
BRIEF_IMAGE_DOWNLOAD = "brief_image_download"
BRIEF_PACK_BUILD = "brief_pack_build"
BRIEF_PACK_DOWNLOAD = "brief_pack_download"
BRIEF_MANIFEST_DOWNLOAD = "brief_manifest_download"
BRIEF_EXPORT_FORMAT = "brief_export_format"
BRIEF_EXPORT_ANALYSIS = "brief_export_analysis"
BRIEF_EXPORT_BUILD = "brief_export_build"
BRIEF_EXPORT_DOWNLOAD = "brief_export_download"
BRIEF_IMAGE = "brief_image"
BRIEF_PACK = "brief_pack"
BRIEF_EXPORT = "brief_export"
# The Patterns page.
PATTERNS_RESOLUTION = "patterns_resolution"
PATTERNS_MAP = "patterns_map"
PATTERNS_CLUSTERS = "patterns_clusters"
PATTERNS_SELECTED = "patterns_selected"
# Sign-in (ui/auth.py): the name signed in by the users file's form, the User this run acts as.
AUTH_USER = "auth_user"
AUTH_CURRENT = "auth_current"
AUTH_FORM = "auth_form"
AUTH_NAME = "auth_name"
AUTH_PASSWORD = "auth_password"
AUTH_SIGN_OUT = "auth_sign_out"
AUTH_OIDC_SIGN_IN = "auth_oidc_sign_in"
# The Audit page: its filters, the published head checked against, Verify and what it found.
AUDIT_WHO = "audit_who"
AUDIT_ACTIONS = "audit_actions"
AUDIT_PERIOD = "audit_period"
AUDIT_HEAD_FILE = "audit_head_file"
AUDIT_HEAD_DOWNLOAD = "audit_head_download"
AUDIT_VERIFY = "audit_verify"
AUDIT_RESULT = "audit_result"
