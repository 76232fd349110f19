namespace DreamLayer.Web.Data;

/// <summary>
/// What EF Core cannot express: the full-text index over prompts (SQLite FTS5, external content on
/// <c>Images</c>, row id = <see cref="ImageEntity.Seq"/>) and the triggers that keep it and <c>Seq</c> in step
/// with every insert, update and delete. Created by the Gallery migration, whose SQL is written out in the
/// migration itself: an applied migration is frozen text, so a later change to the index needs a migration of its own.
/// The SearchPrefixIndexes migration rebuilt the index with prefix indexes for two- and three-letter prefixes
/// (<c>prefix='2 3'</c>); it keeps <c>detail=full</c>, because a typed word that holds punctuation ("red-car",
/// "masterpiece:1.2") is searched as a phrase of its tokens.
/// </summary>
public static class GallerySchema
{
    public const string FtsTable = "ImagesFts";
}
