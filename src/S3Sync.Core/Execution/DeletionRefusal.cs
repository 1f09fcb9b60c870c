namespace S3Sync.Execution;

/// <summary>Why a <see cref="DeletionStage"/> made no deletion of a set: none (they were made, or tried); the folder is
/// empty (an unmounted disk is not a deleted tree); more than <c>max_delete</c>; the site is holding deletions until a
/// full sync decides them again (watch); the walk or the listing did not complete.</summary>
public enum DeletionRefusal { None, EmptyRoot, MaxDelete, Holding, Incomplete }
