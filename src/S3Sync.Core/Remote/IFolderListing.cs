namespace S3Sync.Remote;

/// <summary>Listings by one level (<see cref="IObjectStore.Folders"/>): a listing with the delimiter '/'.</summary>
public interface IFolderListing
{
    /// <summary>One level of the tree under <paramref name="under"/> (relative to the store's prefix, "" or ending in
    /// '/'): the objects directly in it and its folders ("name/"), relative to it, each in key order. Null when there are
    /// more than <paramref name="most"/> entries, or the store cannot say (then the listing is not split).</summary>
    Task<FolderLevel?> ListLevelAsync(string under, int most, CancellationToken cancellationToken);
}
